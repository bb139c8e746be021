// Package faulttest runs the cluster as real processes and breaks it: Versity's
// S3 gateway, nats-server with JetStream and two phonghop processes on loopback
// (node 1 seeds the demo meeting with `phonghop demo`, node 2 runs `phonghop
// serve`), driven over the public API and live WebSockets like tablets would.
//
// It holds only tests. Each test starts its own cluster, induces one fault and
// asserts what must still hold:
//
//   - TestNodeKilled: a phonghop process is killed (SIGKILL) while the chair
//     turns pages; its tablets reconnect to the other node with since and end up
//     with every event exactly once, in order.
//   - TestS3Outage: the S3 server dies during uploads and ballots; requests
//     answer 503 unavailable (never 500), /readyz says 503, no half-written
//     document appears, every acknowledged ballot is counted, and service resumes
//     once S3 is back without restarting phonghop.
//   - TestNATSRestart: nats-server is killed and restarted on the same port and
//     store; both nodes resume the room, and no acknowledged event is lost.
//   - TestReconnectBurst: 2,000 tablets (PHONGHOP_FAULTTEST_TABLETS) connect at
//     once; all get in, both nodes stay healthy and a page turn reaches all.
//
// The phonghop binary is built once per run from ./cmd/phonghop
// (PHONGHOP_FAULTTEST_RACE=1 builds it with -race, and a race report in a
// child's output fails the test). versitygw and
// nats-server are taken from $PHONGHOP_TOOLS_BIN, ~/.cache/phonghop/bin or PATH
// (scripts/tools.sh installs them); when one is missing the tests fail, they
// never skip. Run with:
//
//	go test -race -count=1 ./faulttest/
//
// A failing test prints the last lines of every child's log.
package faulttest
