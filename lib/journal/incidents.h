/* SPDX-License-Identifier: MIT */
/* OOM kills and crash loops, read from the journal: the parse of one journal
 * entry (a pure function of its fields), the correlation of those events into
 * incidents, and the loading through sd-journal (lib/journal/journal.c, whose
 * pages lib/journal/trim.c lets go as the walk moves on).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct host;

enum killer {
        KILLER_NONE,            /* a crash loop: nobody killed it */
        KILLER_KERNEL,          /* global OOM, constraint=CONSTRAINT_NONE */
        KILLER_MEMORY_LIMIT,    /* a cgroup limit, CONSTRAINT_MEMCG */
        KILLER_EARLYOOM,
        KILLER_OOMD,
        KILLER_NOHANG,
        _KILLER_MAX,
};
const char *killer_to_string(enum killer k);   /* "kernel", "memory-limit", ...; NULL for NONE */

enum outcome {
        OUTCOME_GONE,           /* not a service: nothing brought it back */
        OUTCOME_RESTARTED,      /* systemd scheduled a restart */
        OUTCOME_START_LIMIT,    /* restarts stopped at the start limit */
        OUTCOME_STOPPED,        /* the unit failed and stayed down */
        OUTCOME_RUNNING,        /* a process of the unit died, the unit went on */
        _OUTCOME_MAX,
};
const char *outcome_to_string(enum outcome o);  /* "gone", "restarted", "start-limit-hit", "stopped", "running" */

/* The fields of one journal entry that matter, borrowed (not NUL-terminated
 * where a length is given). Any field may be NULL. Fields with a leading
 * underscore are journald's own (who sent the entry); the others are whatever
 * the sender wrote, believed only as far as journald's fields allow. */
struct journal_entry {
        uint64_t realtime_usec;         /* __REALTIME_TIMESTAMP: the wall clock, may step either way */
        uint64_t monotonic_usec;        /* __MONOTONIC_TIMESTAMP: CLOCK_MONOTONIC of its boot */
        const char *transport;          /* _TRANSPORT */
        const char *pid;                /* _PID */
        const char *uid;                /* _UID */
        const char *systemd_unit;       /* _SYSTEMD_UNIT */
        const char *comm;               /* _COMM */
        const char *boot_id;            /* the boot of __MONOTONIC_TIMESTAMP: 32 hex digits */
        const char *identifier;         /* SYSLOG_IDENTIFIER */
        const char *message_id;         /* MESSAGE_ID, 32 hex digits */
        const char *message;            /* MESSAGE: hostile bytes, may hold NULs */
        size_t message_len;
        const char *unit;               /* UNIT= (from PID 1) */
        const char *unit_result;        /* UNIT_RESULT= */
        const char *n_restarts;         /* N_RESTARTS= */
        const char *exit_code;          /* EXIT_CODE= ("killed", "exited", "dumped") */
};

enum event_kind {
        EVENT_NONE,
        EVENT_KERNEL_SUMMARY,   /* oom-kill:constraint=…,task_memcg=…,pid=… */
        EVENT_KERNEL_KILLED,    /* [Memory cgroup ]Out of memory: Killed process PID (COMM) … */
        EVENT_KERNEL_MEMCG,     /* memory: usage NkB, limit NkB, failcnt N */
        EVENT_KERNEL_SWAP,      /* Total swap = NkB */
        EVENT_DAEMON_KILL,      /* earlyoom, systemd-oomd, nohang */
        EVENT_UNIT_OOM,         /* UNIT_OUT_OF_MEMORY / UNIT_OOMD_KILL with UNIT= */
        EVENT_UNIT_RESULT,      /* UNIT_FAILURE_RESULT with UNIT_RESULT=, or UNIT_SUCCESS ("success") */
        EVENT_UNIT_RESTART,     /* UNIT_RESTART_SCHEDULED with N_RESTARTS= */
        EVENT_UNIT_EXIT,        /* UNIT_PROCESS_EXIT, EXIT_CODE= in result: a process of the unit ran and ended */
};

#define INCIDENT_TEXT_MAX 256   /* bound of each text field; longer values are cut */

/* One fact read from one entry. Text fields are raw host bytes (NUL-terminated, cut at the bound).
 * Two clocks: the realtime is what is printed and what --since/--until select; a
 * duration between two events of one boot is measured on the boot's monotonic
 * clock (the wall clock steps, and entries come in the journal's order, not the
 * wall clock's), and between boots a reboot stands in for any duration. */
struct event {
        enum event_kind kind;
        uint64_t time_usec;             /* realtime */
        uint64_t mono_usec;             /* monotonic, of BOOT; meaningless when BOOT is "" */
        enum killer killer;
        pid_t pid;              /* 0 when unknown */
        long long uid;          /* -1 when unknown */
        uint64_t rss_bytes;     /* 0 when unknown */
        uint64_t limit_bytes;   /* memcg limit, total swap; 0 when unknown */
        long long n_restarts;   /* -1 when unknown */
        bool memcg;             /* the kernel's memcg form or CONSTRAINT_MEMCG */
        char comm[INCIDENT_TEXT_MAX];
        char cgroup[INCIDENT_TEXT_MAX];   /* task_memcg, or the cgroup a daemon killed */
        char limit[INCIDENT_TEXT_MAX];    /* oom_memcg, or what oomd names */
        char unit[INCIDENT_TEXT_MAX];     /* UNIT= */
        char result[64];                  /* UNIT_RESULT=, or EXIT_CODE= of a process exit */
        char boot[33];                    /* the boot of mono_usec (the entry's _BOOT_ID); "" unknown */
};

/* Who may say what (DESIGN.md, Trust): systemd's unit messages (a catalogue
 * MESSAGE_ID) count with _PID=1 and _UID=0; an OOM daemon's lines only from
 * its own unit (_SYSTEMD_UNIT=earlyoom.service, systemd-oomd.service,
 * nohang.service) and process (_COMM), whatever user the unit runs as; kernel
 * lines with _TRANSPORT=kernel. */
enum entry_trust {
        ENTRY_UNCLAIMED,        /* claims to be none of those: not ours to read */
        ENTRY_TRUSTED,          /* journald's fields say it is who it claims */
        ENTRY_FORGED,           /* claims more than journald's fields allow */
};
enum entry_trust incident_entry_trust(const struct journal_entry *e);

/* Parse one entry into *ret. Returns 1 when it is an event, 0 when not (and
 * for an entry incident_entry_trust() does not trust), never fails: malformed
 * text is simply not an event. Every unit name in *ret is valid
 * (unit_name_is_valid) or empty. Pure: no allocation, no I/O. */
int incident_parse_entry(const struct journal_entry *e, struct event *ret);

struct incident {
        uint64_t time_usec;     /* the kill, or the first restart of a crash loop */
        uint64_t last_usec;     /* the last restart of a crash loop; = time_usec for a kill */
        enum killer killer;     /* KILLER_NONE: a crash loop */
        pid_t pid;              /* 0 unknown */
        long long uid;          /* -1 unknown */
        char *comm;             /* raw host bytes; NULL unknown */
        char *cgroup;           /* NULL unknown */
        char *unit;             /* the service or scope; NULL unknown */
        uint64_t rss_bytes;     /* 0 unknown */
        uint64_t limit_bytes;   /* 0 unknown */
        char *limit;            /* what limit was hit, in words; NULL unknown */
        long long restarts;     /* systemd's restart counter (N_RESTARTS), or a crash loop's count; -1 unknown */
        uint64_t peak_bytes;    /* a memory-limit kill: the limit's cgroup memory.peak now; 0 unknown */
        enum outcome outcome;
        const char *prevent;    /* the check whose fix prevents the next one (static); NULL none */
        const char *advice;     /* what to do when no check's fix prevents it (static); NULL none */
        unsigned count;         /* how many kills a summary stands for (the oom-kills check); 0 or 1: this one */
};

struct incident_list {
        struct incident *items; /* oldest first */
        size_t n;
        size_t ignored;         /* entries that claimed more than journald's fields allow */
        size_t read;            /* journal entries the walk read (those the matches select; a
                                 * daemon's victim looked up by pid reads at most 64 more) */
        size_t held_max;        /* the most kills and crash loops held at once while correlating */
};

struct incident_options {
        uint64_t since_usec;    /* 0: from the start */
        uint64_t until_usec;    /* 0: to the end */
        bool this_boot;         /* only the host's current boot */
        const char *unit;       /* only incidents of this unit; NULL all */
        bool read_all;          /* read every entry, not only those the matches select
                                 * (the tests' proof that the matches lose nothing) */
};

/* Correlation: feed events oldest first, then finish into a list. */
struct incident_builder;
int incident_builder_new(struct incident_builder **ret);
struct incident_builder *incident_builder_free(struct incident_builder *b);
int incident_builder_add(struct incident_builder *b, const struct event *ev);
/* Takes the incidents out (sorted oldest first), filtered by UNIT when not NULL;
 * ret->held_max is the most kills and crash loops (open or closed) it held at
 * once: memory follows the incidents, not the events fed. */
int incident_builder_finish(struct incident_builder *b, const char *unit, struct incident_list *ret);

void incident_list_release(struct incident_list *l);
/* A deep copy (NULL on -ENOMEM), freed by incident_free() (a finding's data_free). */
struct incident *incident_dup(const struct incident *i);
void incident_free(void *i);

/* Why the journal could not be read, for the caller to say. */
struct journal_error {
        char path[512];         /* which journal: "/var/log/journal", "ROOT/var/log/journal" */
        const char *reason;     /* static text */
};

/* Read the host's journal (ROOT's, as an OS tree, under --root) and build its
 * incidents. -EACCES (not root nor in adm/systemd-journal), -ENOENT (no journal
 * at all), -ENODATA (--boot with no boot id), other -errno; *err says which journal and why.
 * Used by `hostfit incidents`, the oom-kills check and restart-storm. */
int incidents_load(struct host *h, const struct incident_options *o,
                   struct incident_list *ret, struct journal_error *err);

/* Parse --since/--until: "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (local time, as
 * journalctl), "-2h", "-7d", "-30min", "now", "today", "yesterday". NOW in µs. */
int parse_journal_time(const char *s, uint64_t now_usec, uint64_t *ret_usec);
