package kafkaintake_test

import (
	"fmt"
	"testing"

	"github.com/segmentio/kafka-go"
)

// TestManyMessagesAndOutcomes: hundreds of messages are each answered
// and their outcomes published, answers and outcomes interleaving on the
// same writer.
func TestManyMessagesAndOutcomes(t *testing.T) {
	r := newRig(t)
	r.startConsumer()
	const n = 300
	var msgs []kafka.Message
	for i := range n {
		msgs = append(msgs, kafka.Message{Value: []byte(fmt.Sprintf(`{"id":"m-%d","kind":"interface","targets":{"devices":["leaf%d"]},"spec":{"name":"eth%d","description":"d-%d"}}`, i, 1+i%2, 1+i%4, i))})
	}
	r.produce(msgs...)
	for range n {
		if res := r.nextResult(); res.Status != "accepted" {
			t.Fatalf("answer %+v", res)
		}
	}
	for range n {
		if res := r.nextOutcome(); res.State != "applied" {
			t.Fatalf("outcome %+v", res)
		}
	}
}
