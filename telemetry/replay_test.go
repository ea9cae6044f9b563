package telemetry_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/proto"

	"github.com/netagent/netagent/telemetry"
)

// The replay server is a dedicated load source for ingest benchmarks: a
// gNMI target (in a child process, so its CPU is not the collector's) whose
// Subscribe replays pre-encoded SubscribeResponses captured from the lab,
// Rounds times, then ends the stream.

const replayEnv = "NETAGENT_TELEMETRY_REPLAY"

func TestMain(m *testing.M) {
	if file := os.Getenv(replayEnv); file != "" {
		if err := serveReplay(file); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// rawCodec passes pre-encoded messages through and decodes the rest as
// protobuf.
type rawCodec struct{}

type raw []byte

func (rawCodec) Marshal(v any) ([]byte, error) {
	if r, ok := v.(raw); ok {
		return r, nil
	}
	if r, ok := v.(*raw); ok {
		return *r, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(b []byte, v any) error {
	if r, ok := v.(*raw); ok {
		*r = append((*r)[:0], b...)
		return nil
	}
	return proto.Unmarshal(b, v.(proto.Message))
}

func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// writeReplay stores messages length-prefixed in a file.
func writeReplay(t testing.TB, msgs [][]byte) string {
	f, err := os.CreateTemp(t.TempDir(), "replay")
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, m := range msgs {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(m)))
		_, _ = w.Write(n[:])
		_, _ = w.Write(m)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return f.Name()
}

func readReplay(file string) ([][]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		if int(n) > len(b)-4 {
			return nil, errors.New("truncated replay file")
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}

func serveReplay(file string) error {
	msgs, err := readReplay(file)
	if err != nil {
		return err
	}
	rounds, _ := strconv.Atoi(os.Getenv(replayEnv + "_ROUNDS"))
	if rounds <= 0 {
		rounds = 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "gnmi.gNMI",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{StreamName: "Subscribe", ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				var req gpb.SubscribeRequest
				if err := ss.RecvMsg(&req); err != nil {
					return err
				}
				for r := 0; r < rounds; r++ {
					for _, m := range msgs {
						if err := ss.SendMsg(raw(m)); err != nil {
							return err
						}
					}
				}
				sync, _ := proto.Marshal(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}})
				return ss.SendMsg(raw(sync))
			}}},
	}, nil)
	fmt.Println(ln.Addr().String())
	go func() {
		// The parent closes our stdin to stop us.
		_, _ = io.Copy(io.Discard, os.Stdin)
		srv.Stop()
	}()
	return srv.Serve(ln)
}

// startReplay runs the replay server in a child process and returns its
// address.
func startReplay(t testing.TB, file string, rounds int) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replayEnv+"="+file, replayEnv+"_ROUNDS="+strconv.Itoa(rounds))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// lineCounter counts the lines written to it (one per update in gnmi_cli's
// single display).
type lineCounter int

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			*c++
		}
	}
	return len(p), nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ingestFrom subscribes to the replay server and ingests until the sync
// marker; it returns the updates read.
func ingestFrom(t testing.TB, addr string) int {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, "/gnmi.gNMI/Subscribe")
	if err != nil {
		t.Fatal(err)
	}
	req := &gpb.SubscribeRequest{Request: &gpb.SubscribeRequest_Subscribe{Subscribe: &gpb.SubscriptionList{Mode: gpb.SubscriptionList_STREAM}}}
	if err := stream.SendMsg(req); err != nil {
		t.Fatal(err)
	}
	in := telemetry.NewIngester("r1", telemetry.NewStore(telemetry.StoreOptions{}))
	var buf raw
	total := 0
	for {
		if err := stream.RecvMsg(&buf); err != nil {
			t.Fatalf("after %d updates: %v", total, err)
		}
		n, sync, err := in.Ingest(buf)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if sync {
			return total
		}
	}
}

// BenchmarkIngestVsGnmiCLI streams the same replayed lab responses over
// gRPC into netagent's ingester (into the store) and into openconfig's
// reference client gnmi_cli (printing to /dev/null), and reports the
// updates each handles per CPU-second. Set NETAGENT_GNMI_CLI to the
// gnmi_cli binary (go install github.com/openconfig/gnmi/cmd/gnmi_cli@v0.14.1).
func BenchmarkIngestVsGnmiCLI(b *testing.B) {
	bin := os.Getenv("NETAGENT_GNMI_CLI")
	if bin == "" {
		b.Fatal("NETAGENT_GNMI_CLI is not set: go install github.com/openconfig/gnmi/cmd/gnmi_cli@v0.14.1 and point it at the binary")
	}
	msgs, ups := replaySet(b, 50)
	file := writeReplay(b, msgs)
	const rounds = 5
	b.ResetTimer()
	var oursCPU, theirsCPU time.Duration
	var oursN, theirsN int
	for b.Loop() {
		addr := startReplay(b, file, rounds)
		c0 := cpuTime()
		oursN += ingestFrom(b, addr)
		oursCPU += cpuTime() - c0

		addr = startReplay(b, file, rounds)
		cmd := exec.Command(bin, "-address", addr, "-insecure", "-query", "/", "-query_type", "streaming", "-display_type", "single")
		var lines lineCounter
		cmd.Stdout, cmd.Stderr = &lines, io.Discard
		_ = cmd.Run() // ends with an error when the server closes the stream
		if ps := cmd.ProcessState; ps != nil {
			theirsCPU += ps.UserTime() + ps.SystemTime()
		}
		theirsN += ups * rounds
		if int(lines) < ups*rounds {
			b.Fatalf("gnmi_cli printed %d lines for %d updates", lines, ups*rounds)
		}
	}
	if oursN != ups*rounds*b.N {
		b.Fatalf("ingested %d updates, want %d", oursN, ups*rounds*b.N)
	}
	ours := float64(oursN) / oursCPU.Seconds()
	theirs := float64(theirsN) / theirsCPU.Seconds()
	b.ReportMetric(ours, "netagent-updates/cpu-s")
	b.ReportMetric(theirs, "gnmi_cli-updates/cpu-s")
	b.ReportMetric(ours/theirs, "ratio")
}
