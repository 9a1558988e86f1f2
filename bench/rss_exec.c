/*
 * rss_exec FILE COMMAND [ARG...]: runs COMMAND with this process's stdin,
 * stdout and stderr, then writes its peak resident set size in kB (ru_maxrss
 * of wait4) to FILE and exits with COMMAND's status (128 + signal if killed).
 *
 * The benchmark needs its own launcher: a process forked (or vforked) from a
 * large one, such as the Python harness, keeps that process's high-water mark
 * across exec, so ru_maxrss of a command it starts directly reports the
 * harness's memory, not the command's. Forked from this small program, the
 * figure is the command's own, as /usr/bin/time reports it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rss_exec FILE COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rss_exec: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rss_exec: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("rss_exec: wait4");
            return 2;
        }
    }
    FILE *out = fopen(argv[1], "w");
    if (out == NULL || fprintf(out, "%ld\n", usage.ru_maxrss) < 0 || fclose(out) != 0) {
        perror("rss_exec: writing the result");
        return 2;
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
