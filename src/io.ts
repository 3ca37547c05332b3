/** Files read or written at once: enough to keep libuv's threads busy, far below the open-file limit. */
export const IO_CONCURRENCY = 64;
