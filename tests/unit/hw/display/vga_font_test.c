/*
 * The VGA's built-in 8x16 font against the CP437 layout it claims: printable
 * ASCII drawn and all different, accented letters that keep a blank row
 * between the accent and the letter (capitals included, whose accents sat
 * on the letter's top row and made Ö and Ü read as O and U), and line
 * drawing that reaches the cell edges so neighbouring characters join.
 */
#include "test.h"

#include <stdbool.h>

#include "hw/display/vga_font.h"

static uint8_t font[VGA_FONT_CHARS][VGA_FONT_HEIGHT];

static bool blank_row(uint8_t code, int row)
{
    return font[code][row] == 0;
}

static int first_row(uint8_t code)
{
    for (int r = 0; r < VGA_FONT_HEIGHT; r++)
        if (!blank_row(code, r))
            return r;
    return VGA_FONT_HEIGHT;
}

TEST_CASE(printable_ascii_drawn_and_distinct)
{
    CHECK_EQ(first_row(' '), VGA_FONT_HEIGHT);
    for (int a = '!'; a <= '~'; a++) {
        CHECK(first_row((uint8_t)a) < VGA_FONT_HEIGHT);
        for (int b = '!'; b < a; b++)
            CHECK(memcmp(font[a], font[b], VGA_FONT_HEIGHT) != 0);
    }
}

/* CP437 letters with an accent above (0x80-0xA5) and their base letters. */
static const struct { uint8_t code; char base; } accented[] = {
    { 0x81, 'u' }, { 0x82, 'e' }, { 0x83, 'a' }, { 0x84, 'a' }, { 0x85, 'a' }, { 0x86, 'a' },
    { 0x88, 'e' }, { 0x89, 'e' }, { 0x8a, 'e' }, { 0x8e, 'A' }, { 0x8f, 'A' }, { 0x90, 'E' },
    { 0x93, 'o' }, { 0x94, 'o' }, { 0x95, 'o' }, { 0x96, 'u' }, { 0x97, 'u' }, { 0x99, 'O' },
    { 0x9a, 'U' }, { 0xa0, 'a' }, { 0xa2, 'o' }, { 0xa3, 'u' }, { 0xa4, 'n' }, { 0xa5, 'N' },
};

/* The letter itself, whole, under a blank row under the accent. */
TEST_CASE(accents_stand_clear_of_the_letter)
{
    for (size_t i = 0; i < sizeof(accented) / sizeof(accented[0]); i++) {
        uint8_t code = accented[i].code, base = (uint8_t)accented[i].base;
        int body = first_row(base), n = 0;
        while (body + n < VGA_FONT_HEIGHT && !blank_row(base, body + n))
            n++;
        /* Where the letter starts in the accented glyph: the same rows, or
         * one lower when the accent needs the room above. */
        int at = -1;
        for (int shift = 0; shift <= 1 && at < 0; shift++)
            if (body + shift + n <= VGA_FONT_HEIGHT &&
                !memcmp(&font[code][body + shift], &font[base][body], (size_t)n))
                at = body + shift;
        if (at < 0)
            printf("  glyph 0x%02x does not hold '%c' whole\n", code, base);
        CHECK(at >= 2);
        if (!blank_row(code, at - 1))
            printf("  glyph 0x%02x: the accent touches '%c' (row %d)\n", code, base, at - 1);
        CHECK(blank_row(code, at - 1));
        CHECK(first_row(code) < at - 1);              /* an accent is there */
    }
}

/* Horizontal strokes run through both edges (bit 7 and bit 0, which the
 * 9th dot repeats for C0-DF); vertical ones through rows 0 and 15. */
TEST_CASE(line_drawing_reaches_the_cell_edges)
{
    static const uint8_t across[] = { 0xc4, 0xc5, 0xc1, 0xc2, 0xcd, 0xce };
    static const uint8_t down[] = { 0xb3, 0xba, 0xc5, 0xce, 0xb4, 0xc3 };
    for (size_t i = 0; i < sizeof(across); i++) {
        bool full = false;
        for (int r = 0; r < VGA_FONT_HEIGHT; r++)
            full |= (font[across[i]][r] & 0x81) == 0x81;
        CHECK(full);
    }
    for (size_t i = 0; i < sizeof(down); i++) {
        CHECK(!blank_row(down[i], 0));
        CHECK(!blank_row(down[i], VGA_FONT_HEIGHT - 1));
        CHECK_EQ(font[down[i]][0], font[down[i]][VGA_FONT_HEIGHT - 1]);
    }
}

int main(void)
{
    vga_font_build(font);
    RUN(printable_ascii_drawn_and_distinct);
    RUN(accents_stand_clear_of_the_letter);
    RUN(line_drawing_reaches_the_cell_edges);
    TEST_EXIT();
}
