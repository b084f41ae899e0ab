-- The peerlog journal: an ordinary SQLite database, built by `peerlog` from
-- the spool the shim writes. Open it with `sqlite3 peerlog.db` and query the
-- tables and views below; ARCHITECTURE.md explains the model.
--
-- Times are nanoseconds since the Unix epoch (CLOCK_REALTIME). `boot` is the
-- kernel's boot id: pids, inodes and start times only mean something within
-- one boot.
--
-- The schema version is PRAGMA user_version; peerlog refuses a journal of
-- another version rather than misread it, but for version 1 (before pipes),
-- which it brings up to date when it opens it (collector/journal.c).
--
-- CHECK constraints spell their lists with OR, not IN: for an IN list of
-- more than two values SQLite builds a temporary b-tree on every row it
-- checks, which was a third of the ingest's time.

PRAGMA user_version = 2;

-- What has been ingested from each spool: exactly once, because the offset
-- moves in the same transaction as the rows it produced.
CREATE TABLE spool (
	path    TEXT PRIMARY KEY,
	dev     INTEGER NOT NULL,     -- identity of the spool file read, so that
	ino     INTEGER NOT NULL,     -- a new spool at the same path starts
	first   INTEGER NOT NULL,     -- over: its first record's time and
	                              -- checksum, since file systems reuse inodes
	offset  INTEGER NOT NULL,     -- bytes consumed
	skipped INTEGER NOT NULL DEFAULT 0 -- garbled bytes passed over
);

-- One row per program image: a process gets a row when it starts (first
-- traced program, or fork child) and another for every successful exec.
CREATE TABLE process (
	id          INTEGER PRIMARY KEY,
	boot        TEXT NOT NULL,
	pid         INTEGER NOT NULL,
	start_ticks INTEGER NOT NULL, -- /proc/PID/stat field 22: tells reused pids apart
	hello_ns    INTEGER NOT NULL, -- when the image said hello
	origin      TEXT NOT NULL     -- root: no traced parent; fork; exec: replaced
		CHECK (origin = 'root' OR origin = 'fork' OR -- parent_id; spawn:
		       origin = 'exec' OR origin = 'spawn'), -- started by a traced
	parent_id   INTEGER REFERENCES process(id), -- parent we did not see fork
	ppid        INTEGER,
	exe         TEXT,
	argv        TEXT,             -- JSON array of strings
	exec_ns     INTEGER,          -- an exec attempt whose outcome is not known yet
	exec_path   TEXT,
	end_ns      INTEGER,          -- when the image ended, if we saw it end
	end_reason  TEXT CHECK (end_reason IN ('exec', 'exit')),
	exit_status INTEGER           -- NULL when unknown
);
CREATE INDEX process_by_pid ON process (pid, id);
CREATE INDEX process_by_parent ON process (parent_id);

-- A socketpair() call, or a pipe() or pipe2() call (its ends are of kind
-- 'pipe'; domain 0, type the flags of pipe2(), protocol 0).
CREATE TABLE pair (
	id         INTEGER PRIMARY KEY,
	process_id INTEGER NOT NULL REFERENCES process(id),
	created_ns INTEGER NOT NULL,
	domain     INTEGER NOT NULL,
	type       INTEGER NOT NULL,  -- as passed, SOCK_CLOEXEC etc. included
	protocol   INTEGER NOT NULL
);

-- A socket end, the kernel object, or one end of a pipe or FIFO (kind).
-- The cookie (SO_COOKIE) is unique for the life of a boot; the inode is
-- what ls -l /proc/PID/fd shows and may be reused. peer_id is the other
-- end: of its socketpair, or of its connection as the kernel reported it
-- at connect or accept. A pipe's two ends share one inode: side 0 is the
-- read end, side 1 the write end, peers of each other; their cookie is a
-- key the ingest makes (2^62 + 2^61 for a FIFO + 2 * ino + side), not the
-- kernel's. A FIFO's name is its path.
CREATE TABLE sock (
	id        INTEGER PRIMARY KEY,
	boot      TEXT NOT NULL,
	ino       INTEGER NOT NULL,
	cookie    INTEGER NOT NULL,   -- 0 when not (yet) known
	pair_id   INTEGER REFERENCES pair(id), -- NULL: not from a socketpair
	side      INTEGER,            -- 0 or 1: index in socketpair's sv[]
	peer_id   INTEGER REFERENCES sock(id),
	type      INTEGER,            -- SOCK_STREAM, SOCK_DGRAM, ... if known
	name      TEXT,               -- address: a path, or @abstract
	listening INTEGER NOT NULL DEFAULT 0,
	kind      TEXT NOT NULL DEFAULT 'socket'
		CHECK (kind = 'socket' OR kind = 'pipe' OR kind = 'fifo')
);
-- By inode and by cookie alone: the boot is checked on the row. Keys of a
-- number, not a boot id's 36 characters, keep both indexes small and quick
-- to update, and serve the lookups that do not name a boot too.
CREATE INDEX sock_by_ino ON sock (ino);
CREATE INDEX sock_by_cookie ON sock (cookie);

-- An interval during which one program image held a socket end at an fd.
-- start_reason: create (socketpair, socket, pipe), open (of a FIFO, or of
-- a pipe through /proc/PID/fd), accept, fork (inherited at
-- fork; source_id is
-- the parent's holding), exec (kept across exec; source_id is the holding
-- of the image before), dup (dup, dup2, dup3, F_DUPFD: source_id is the
-- holding copied), recv (received with SCM_RIGHTS: source_id is the
-- sender's holding), inherit (present when a traced parent's child started
-- without a fork we saw), found (present at start, source unknown).
-- end_reason is set only by what ended the holding itself: close, kept
-- (the image exec'd and the fd survived: the holding whose source_id is
-- this one goes on) or unknown (the fd was reused behind our back). A
-- holding still open here ends with its image: see holding_span.
CREATE TABLE holding (
	id           INTEGER PRIMARY KEY,
	process_id   INTEGER NOT NULL REFERENCES process(id),
	fd           INTEGER NOT NULL,
	sock_id      INTEGER NOT NULL REFERENCES sock(id),
	from_ns      INTEGER NOT NULL,
	start_reason TEXT NOT NULL
		CHECK (start_reason = 'create' OR start_reason = 'open' OR
		       start_reason = 'accept' OR
		       start_reason = 'fork' OR start_reason = 'exec' OR
		       start_reason = 'dup' OR start_reason = 'recv' OR
		       start_reason = 'inherit' OR start_reason = 'found'),
	source_id    INTEGER REFERENCES holding(id),
	until_ns     INTEGER,
	end_reason   TEXT CHECK (end_reason = 'close' OR end_reason = 'kept' OR
				 end_reason = 'unknown'),
	cloexec      INTEGER NOT NULL DEFAULT 0 -- as last set: at creation,
);                                      -- dup, F_SETFD, FIOCLEX, close_range
CREATE INDEX holding_by_process ON holding (process_id, fd);
-- The holdings still open: what an ingest loads for an image it meets
-- again (it keeps them in memory after), and what check reads. Partial, so
-- that a process reusing fd 3 a million times does not make the lookup
-- scan a million closed holdings; most holdings end in the ingest that
-- made them and are never in it.
CREATE INDEX holding_open ON holding (process_id, fd) WHERE end_reason IS NULL;
CREATE INDEX holding_by_sock ON holding (sock_id, process_id, fd);
-- Most holdings have no source (a socket made here): they stay out.
CREATE INDEX holding_by_source ON holding (source_id)
	WHERE source_id IS NOT NULL;

-- A socket end passed with SCM_RIGHTS: from the sender's holding until a
-- receive gives it a new holding. Unreceived ones are in flight: held by
-- no process, only by the kernel, in the channel socket's queue.
CREATE TABLE flight (
	id          INTEGER PRIMARY KEY,
	sock_id     INTEGER NOT NULL REFERENCES sock(id),
	source_id   INTEGER REFERENCES holding(id),
	sent_ns     INTEGER NOT NULL,
	channel_ino INTEGER NOT NULL,  -- the socket it was sent over
	received_id INTEGER REFERENCES holding(id)
);
CREATE INDEX flight_by_sock ON flight (sock_id, received_id);

-- The objects mapped in a program image (its fork children run the same),
-- so that a return address can be named after the process has gone.
CREATE TABLE module (
	id         INTEGER PRIMARY KEY,
	process_id INTEGER NOT NULL REFERENCES process(id),
	start      INTEGER NOT NULL,  -- [start, end) in the process
	"end"      INTEGER NOT NULL,
	bias       INTEGER NOT NULL,  -- load bias: address - bias = file address
	build_id   TEXT,              -- GNU build id, hex
	path       TEXT NOT NULL
);
CREATE INDEX module_by_process ON module (process_id);

-- Where a socket was made: return addresses, innermost caller first (hex,
-- space separated), in the process_id image (socketpair: on its end 0).
CREATE TABLE stack (
	sock_id    INTEGER PRIMARY KEY REFERENCES sock(id),
	process_id INTEGER NOT NULL REFERENCES process(id),
	pcs        TEXT NOT NULL
);

-- Every record ingested, for history and debugging. kind is the record
-- type; fd/arg/detail depend on it (socketpair, pipe: fd and arg are the
-- two fds; open: detail is the FIFO's path; write: the first write through
-- a pipe's write end at fd, arg is the pipe's inode;
-- fork: arg is the child pid; exit: arg is the status; exec: detail is the
-- path; exec_fail: arg is the errno).
CREATE TABLE event (
	id         INTEGER PRIMARY KEY,
	process_id INTEGER REFERENCES process(id),
	pid        INTEGER NOT NULL,
	time_ns    INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	fd         INTEGER,
	arg        INTEGER,
	detail     TEXT
);
CREATE INDEX event_by_process ON event (process_id);

-- Views. (An upgrade from version 1 drops them and runs the file from the
-- line below on: keep the views last and this line as it is.)
-- views --

-- Holdings with the end they had as far as the journal knows: a holding
-- still open when its image exec'd was closed on exec; one still open when
-- its image exited ended with it. end_reason NULL: still held, unless the
-- process has died since without telling us (peerlog checks /proc).
CREATE VIEW holding_span AS
SELECT h.id, h.process_id, p.pid, p.exe, h.fd, h.sock_id, s.ino, s.kind,
       s.side, h.from_ns, h.start_reason, h.source_id,
       CASE WHEN h.end_reason IS NOT NULL THEN h.until_ns ELSE p.end_ns END
	       AS until_ns,
       COALESCE(h.end_reason, p.end_reason) AS end_reason
FROM holding h
JOIN process p ON p.id = h.process_id
JOIN sock s ON s.id = h.sock_id;

-- Each end whose peer we know, with it (a pipe's read end with its write
-- end).
CREATE VIEW sock_peer AS
SELECT s.id AS sock_id, s.ino, s.kind, s.name, s.pair_id, o.id AS peer_id,
       o.ino AS peer_ino
FROM sock s
JOIN sock o ON o.id = s.peer_id;
