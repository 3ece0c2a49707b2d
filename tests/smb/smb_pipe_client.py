#!/usr/bin/python3
"""An SMB client of a named pipe, through python3-samba (Samba's own client
library), for the remote pipe tests.

    smb_pipe_client.py USER PASSWORD PIPE [MESSAGE...]

Connects to IPC$ on 127.0.0.1 (port 445), opens PIPE, and for each MESSAGE
writes it and reads one reply (at most 4096 bytes), printing "got:<reply>".
A MESSAGE of "@read" only reads; "@bench:N" makes N round trips of 64
bytes and prints "rt-us:<mean microseconds>". Prints "opened" once open; on failure
"open-failed:0x<NTSTATUS>" (exit 3) or "io-failed:0x<NTSTATUS>" (exit 4).
"""
import sys
import time

from samba import NTSTATUSError, credentials
from samba.samba3 import libsmb_samba_internal as libsmb
from samba.samba3 import param as s3param


def main():
    user, password, pipe = sys.argv[1:4]
    lp = s3param.get_context()
    lp.load_default()
    lp.set("client min protocol", "SMB2_02")
    creds = credentials.Credentials()
    creds.guess(lp)
    creds.set_username(user)
    creds.set_password(password)
    try:
        conn = libsmb.Conn("127.0.0.1", "IPC$", lp, creds)
        fnum = conn.create(pipe, DesiredAccess=0x0012019F)
    except NTSTATUSError as e:
        print("open-failed:0x%08x" % (e.args[0] & 0xFFFFFFFF), flush=True)
        return 3
    print("opened", flush=True)
    for message in sys.argv[4:]:
        if message.startswith("@bench:"):
            count = int(message.split(":")[1])
            payload = b"x" * 64
            start = time.perf_counter()
            for _ in range(count):
                conn.write(fnum, payload, 0)
                got = b""
                while len(got) < 64:
                    got += conn.read(fnum, 0, 64 - len(got))
            elapsed = time.perf_counter() - start
            print("rt-us:%.1f" % (elapsed / count * 1e6), flush=True)
            continue
        try:
            if message != "@read":
                conn.write(fnum, message.encode(), 0)
            reply = conn.read(fnum, 0, 4096)
        except NTSTATUSError as e:
            print("io-failed:0x%08x" % (e.args[0] & 0xFFFFFFFF), flush=True)
            return 4
        print("got:" + reply.decode(errors="replace"), flush=True)
    conn.close(fnum)
    return 0


if __name__ == "__main__":
    sys.exit(main())
