// Command aclcompat-go: the official Go client (github.com/apache/rocketmq-client-go/v2) with
// ACL credentials against a FerroMQ broker with ACL 2.0 (interop/acl-compat.sh runs it after the
// Java scenario, which leaves the user bob with `Topic:GoTopic Pub Allow`).
//
// Signed with bob's credentials (primitive.Credentials, the Go client's AclClientRPCHook) the
// producer gets SEND_OK; a wrong secret, an unsigned producer and a topic bob has no policy for
// are refused with NO_PERMISSION (16) and Java's remark. Every check prints one
// `[acl-compat/go] ok|FAIL` line; the exit code is 1 when any failed.
//
//	AC_NAMESRV=127.0.0.1:9876 go run .
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var (
	failures int
	seq      atomic.Int64
)

func check(ok bool, format string, args ...any) {
	mark := "ok    "
	if !ok {
		mark = "FAIL  "
		failures++
	}
	fmt.Printf("[acl-compat/go] %s%s\n", mark, fmt.Sprintf(format, args...))
}

// send starts a producer (signed when creds is non-nil), sends one message to topic, stops it.
func send(namesrv string, creds *primitive.Credentials, topic string) (string, error) {
	opts := []producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{namesrv})),
		producer.WithGroupName("acl_go_producer"),
		producer.WithInstanceName(fmt.Sprintf("acl-go-%d-%d", os.Getpid(), seq.Add(1))),
		producer.WithRetry(0),
	}
	if creds != nil {
		opts = append(opts, producer.WithCredentials(*creds))
	}
	p, err := producer.NewDefaultProducer(opts...)
	if err != nil {
		return "", err
	}
	if err := p.Start(); err != nil {
		return "", err
	}
	defer func() { _ = p.Shutdown() }()
	r, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("from the Go client")))
	if err != nil {
		return "", err
	}
	if r.Status != primitive.SendOK {
		return fmt.Sprintf("status %d", r.Status), nil
	}
	return "SendOK", nil
}

func main() {
	rlog.SetLogLevel("fatal")
	namesrv := os.Getenv("AC_NAMESRV")
	bob := &primitive.Credentials{AccessKey: "bob", SecretKey: "bob-secret-1"}
	noPolicy := "User:bob has no permission to access Topic:T1 from 127.0.0.1, no matched policies."

	ok := 0
	for i := 0; i < 5; i++ {
		if status, err := send(namesrv, bob, "GoTopic"); err == nil && status == "SendOK" {
			ok++
		} else {
			fmt.Printf("      send %d: %s %v\n", i, status, err)
		}
	}
	check(ok == 5, "Go producer signed as bob sends to GoTopic: %d of 5 SendOK", ok)

	refused := func(what string, creds *primitive.Credentials, topic, remark string) {
		status, err := send(namesrv, creds, topic)
		check(err != nil && strings.Contains(err.Error(), "CODE: 16") && strings.Contains(err.Error(), remark),
			"%s refused: %s %v", what, status, err)
	}
	refused("wrong secret", &primitive.Credentials{AccessKey: "bob", SecretKey: "wrong-secret"}, "GoTopic", "check signature failed.")
	refused("unsigned Go producer", nil, "GoTopic", "username cannot be null.")
	refused("bob to T1 (no policy)", bob, "T1", noPolicy)

	if failures > 0 {
		fmt.Printf("[acl-compat/go] FAIL (%d)\n", failures)
		os.Exit(1)
	}
	fmt.Println("[acl-compat/go] PASS")
}
