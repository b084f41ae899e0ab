# Hands one end of a multiprocessing.Pipe (a socketpair) to a child
# process started with the method given, and prints what the kernel says:
# "METHOD PARENT_PID PARENT_FD CHILD_PID CHILD_FD CHILD_INO".
import multiprocessing as mp
import os
import sys


def child(conn):
    conn.send((os.getpid(), conn.fileno()))
    conn.recv()


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    parent_end, child_end = ctx.Pipe()
    p = ctx.Process(target=child, args=(child_end,))
    p.start()
    child_end.close()
    pid, fd = parent_end.recv()
    ino = os.stat(f"/proc/{pid}/fd/{fd}").st_ino
    print(sys.argv[1], os.getpid(), parent_end.fileno(), pid, fd, ino)
    parent_end.send("bye")
    p.join()
