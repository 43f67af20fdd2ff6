"""Many moto servers from one warm interpreter.

Importing moto and building a service's first backend costs about a second of
CPU; a test suite that starts a fresh server per test pays it each time. This
process pays it once (it imports the server and answers one request per
service and region the sandbox uses), then forks: each child is a moto server
of its own on a free 127.0.0.1 port, with the state a fresh `moto_server`
would have. The protocol is one line each way on stdin/stdout:

    -> LOG_PATH RECORDING_PATH
    <- PORT PID            (written by the child once it listens)
    <- error: MESSAGE      (when it could not)

The children die with this process (PR_SET_PDEATHSIG), and this process ends
when its standard input does (the test binary that started it has exited).
"""

import ctypes
import os
import random
import signal
import sys

from moto.moto_api import recorder
from moto.moto_api._internal import mock_random
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.test import Client

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1
# The signing names of the services skiff calls.
SERVICES = [
    "ec2",
    "s3",
    "elasticmapreduce",
    "sts",
    "iam",
    "monitoring",
    "ssm",
    "scheduler",
    "ce",
    "ec2-instance-connect",
]


def warm(app, regions):
    client = Client(app)
    for service in SERVICES:
        for region in regions:
            auth = (
                "AWS4-HMAC-SHA256 Credential=warm/20260101/%s/%s/aws4_request, "
                "SignedHeaders=host, Signature=0" % (region, service)
            )
            try:
                client.get("/", headers={"Authorization": auth})
            except Exception:  # a service this moto does not serve
                pass
    # The EC2 backend of each region is built on its first real call.
    for region in regions:
        auth = (
            "AWS4-HMAC-SHA256 Credential=warm/20260101/%s/ec2/aws4_request, "
            "SignedHeaders=host, Signature=0" % region
        )
        client.get(
            "/?Action=DescribeInstances&Version=2016-11-15",
            headers={"Authorization": auth, "Host": "ec2.%s.amazonaws.com" % region},
        )


def serve(app, log_path, recording, zygote):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    libc.prctl(PR_SET_NAME, b"moto-server")
    if os.getppid() != zygote:
        os._exit(1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 2)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    # Forked children would otherwise hand out the same identifiers.
    random.seed()
    mock_random.seed()
    recorder._location = recording
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.server_port)
    sys.stdout.write("%d %d\n" % (server.server_port, os.getpid()))
    sys.stdout.flush()
    os.dup2(null, 1)
    server.serve_forever()


def main():
    regions = sys.argv[1:] or ["us-east-1"]
    app = DomainDispatcherApplication(create_backend_app)
    warm(app, regions)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    zygote = os.getpid()
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            sys.stdout.write("error: expected LOG_PATH RECORDING_PATH\n")
            sys.stdout.flush()
            continue
        try:
            pid = os.fork()
        except OSError as e:
            sys.stdout.write("error: fork: %s\n" % e)
            sys.stdout.flush()
            continue
        if pid == 0:
            try:
                serve(app, parts[0], parts[1], zygote)
            except BaseException as e:  # the parent waits for one line
                sys.stdout.write("error: %s\n" % e)
                sys.stdout.flush()
            os._exit(1)


if __name__ == "__main__":
    main()
