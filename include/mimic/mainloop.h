/*
 * The main loop: one poll() over registered file descriptors and the timer
 * deadline, plus bottom halves (callbacks queued from any thread). It holds
 * the machine lock except while waiting in poll.
 */
#ifndef MIMIC_MAINLOOP_H
#define MIMIC_MAINLOOP_H

#include <stdbool.h>

typedef void (*FdHandler)(void *opaque);
typedef void (*BottomHalf)(void *opaque);

void mainloop_init(void);
/* Watch fd for readability (on_read) and/or writability (on_write). A NULL
 * pair removes the watch. */
void mainloop_set_fd(int fd, FdHandler on_read, FdHandler on_write, void *opaque);
/* Queue cb to run once from the main loop; safe from any thread. */
void mainloop_schedule(BottomHalf cb, void *opaque);
/* Wake a waiting main loop (after timer_mod from another thread, etc). */
void mainloop_wakeup(void);
/* Run one iteration: wait at most timeout_ns (-1 = until an event). */
void mainloop_iterate(long long timeout_ns);
/* Ask mainloop_run to return. */
void mainloop_quit(void);
bool mainloop_should_quit(void);

/* The big lock: device state is only touched with it held. */
void machine_lock(void);
void machine_unlock(void);
/* Wait on cond with the big lock held (it is released while waiting), so a
 * thread that holds the lock can wait for vCPUs that need it to park. */
#include <pthread.h>
void machine_cond_wait(pthread_cond_t *cond);

#endif
