// Package interop holds FerroMQ's interoperability tests for the official Apache RocketMQ Go
// client (github.com/apache/rocketmq-client-go/v2).
//
// The tests live in the _test.go files of this package and talk to whatever RocketMQ-protocol
// NameServer is named by FERROMQ_NAMESRV: FerroMQ in CI, Apache RocketMQ when the expectations
// themselves are being checked. See README.md for the environment variables and broker settings.
package interop
