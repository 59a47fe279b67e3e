"""How objects are cut for reading: the sizes every use of the object reader shares.

Read at call time (``sizes.PART_SIZE``, not a copy), so that the tests can
shrink them and a few hundred kilobytes make a read of many parts.
"""

# Objects larger than one part are fetched as parallel ranged GETs. Few large
# parts: on a 2-core machine serving S3 on loopback, 32 MiB x 4 matched or beat
# one GET, while 8 MiB x 8 ran at half its speed (bench/, scenario 1).
PART_SIZE = 32 * 1024 * 1024
PARALLEL_PARTS = 4
# A file read in place (Parquet) comes in pieces this size: smaller than a
# part, so that its reader starts sooner; datasets' pieces too (bench/, scenario 8).
PIECE_SIZE = 16 * 1024 * 1024
# A stream read in one GET (``open_stream(one_get=True)``) holds at most this many
# parts that have arrived and are not yet read: the parser's, the next, one arriving.
FOLLOWED_PARTS = 3
# A body is read from the network in chunks of this size.
CHUNK = 1024 * 1024
# The first bytes of an object kept for error messages (format hints).
HEAD_SIZE = 4096
