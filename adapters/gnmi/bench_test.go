package gnmi_test

import (
	"context"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/gnmi"
	"github.com/netagent/netagent/adapters/internal/benchops"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/yang"
)

// BenchmarkConfigure: one Set per op through the adapter on one warm connection.
func BenchmarkConfigure(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "gn", adapters.GNMI, gnmi.Open)
	benchops.Configure(b, a, benchops.MTU)
}

// BenchmarkBareClient: the same Set with the generated gNMI client alone.
func BenchmarkBareClient(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "gn", adapters.GNMI)
	conn, err := grpc.NewClient(tg.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := gpb.NewGNMIClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "username", tg.Credentials.Username, "password", tg.Credentials.Password.Reveal())
	for i := 0; b.Loop(); i++ {
		req, err := yang.EncodeSetRequest(benchops.MTU(i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Set(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkAdapterVsBare: the adapter's Set and the generated client's
// same Set, alternated operation by operation on one device in one run
// (benchops.Alternate).
func BenchmarkAdapterVsBare(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a := conformance.Open(b, inv, "gn", adapters.GNMI, gnmi.Open)
	tg := conformance.Target(b, inv, "gn", adapters.GNMI)
	conn, err := grpc.NewClient(tg.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := gpb.NewGNMIClient(conn)
	bctx := metadata.AppendToOutgoingContext(context.Background(), "username", tg.Credentials.Username, "password", tg.Credentials.Password.Reveal())
	ctx := context.Background()
	benchops.Alternate(b,
		func(op int) error { return a.Configure(ctx, benchops.MTU(op)) },
		func(op int) error {
			req, err := yang.EncodeSetRequest(benchops.MTU(op))
			if err != nil {
				return err
			}
			_, err = c.Set(bctx, req)
			return err
		})
}

// BenchmarkSessionSetup: connection, Capabilities and the credential probe.
func BenchmarkSessionSetup(b *testing.B) {
	_, inv := conformance.StartLab(b)
	benchops.SessionSetup(b, gnmi.Opener, conformance.Target(b, inv, "gn", adapters.GNMI))
}
