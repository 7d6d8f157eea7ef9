/* Atomic multi-file outputs (a key set, a bundle, a result folder) and the
 * clean-up of what a killed writer left behind.
 *
 * Everything is written into a sibling temporary directory DIR.tmp.<pid>.XXXXXX
 * and renamed into place at the end, so DIR appears whole or not at all; with
 * `replace`, an existing DIR is moved aside to DIR.old.<pid>.XXXXXX only once
 * the new one is complete, and removed after the swap.  The writer's pid in
 * the names lets the next run on the same output remove the leftovers of a
 * writer that died (kill -9) while leaving a live writer's alone.  The same
 * naming is used by the single-file atomic writer (util/io.h), so one sweep
 * covers PATH.tmp.<pid>.* files too.  docs/CLI.md "Files left by a crash"
 * names these locations: they may hold secret keys and are created 0700. */
#ifndef EIP_UTIL_DIRTX_H
#define EIP_UTIL_DIRTX_H

#include <stdbool.h>

#include "encryip/error.h"

typedef struct eip_io_dirtx {
    char *dir; /* final path, trailing slashes removed */
    char *tmp; /* DIR.tmp.<pid>.XXXXXX: write the files here */
} eip_io_dirtx;

/* Sweeps stale leftovers of DIR, then creates the temporary directory (mode
 * 0700 until commit).  This is the "can the output be written at all" check:
 * call it before any long work.  Refuses an existing DIR unless `replace`;
 * with `must_be` non-NULL, an existing DIR must contain the file `must_be`
 * (e.g. "manifest.json") before it may be replaced. */
eip_status eip_io_dirtx_begin(eip_io_dirtx *tx, const char *dir, bool replace, const char *must_be,
                              eip_error *err);
/* Moves the finished temporary directory into place (mode `mode`), swapping
 * out an existing DIR if the transaction was begun with replace.  On failure
 * the old DIR is back in place and the temporary directory is removed. */
eip_status eip_io_dirtx_commit(eip_io_dirtx *tx, unsigned mode, eip_error *err);
/* Removes the temporary directory (idempotent; commit calls it). */
void eip_io_dirtx_abort(eip_io_dirtx *tx);

/* Removes PATH.tmp.<pid>.* and PATH.old.<pid>.* (files or directories) whose
 * pid is no running process.  *removed (may be NULL) receives the count. */
eip_status eip_io_sweep_stale(const char *path, int *removed, eip_error *err);

/* rm -rf of a directory tree (no symlink is followed). */
void eip_io_rmtree(const char *dir);

/* Copies path into out without trailing slashes ("a/b///" -> "a/b"; "/" stays). */
eip_status eip_io_path_trim(char *out, size_t cap, const char *path, eip_error *err);

#endif
