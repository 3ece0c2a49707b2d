/* conduit/win32/conio.h: console input as the Windows C runtime offers it. */
#ifndef CONDUIT_WIN32_CONIO_H
#define CONDUIT_WIN32_CONIO_H

#ifdef __cplusplus
extern "C" {
#endif

/* Reads one key from the terminal without echo, waiting for it; returns EOF
 * (-1) when standard input ends. Without a terminal it reads one byte. */
int _getch(void);
/* Nonzero when a key is waiting. */
int _kbhit(void);

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_CONIO_H */
