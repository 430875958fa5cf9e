package interop

// The official Go client has no public call for GET_BROKER_CLUSTER_INFO (its admin API keeps the
// remoting client private and the call commented out), and its route query returns queues but no
// broker addresses. The tests need broker addresses to create topics through the Go admin API, so
// this file sends those two NameServer requests itself, framed exactly as the Go client frames
// every request (JSON header, language "GO", version 317, extFields as strings).

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"sync/atomic"
	"testing"
	"time"
)

const (
	codeGetRouteInfoByTopic  = 105
	codeGetBrokerClusterInfo = 106
	codeSuccess              = 0
	codeTopicNotExist        = 17
)

var wireOpaque atomic.Int32

type wireCommand struct {
	Code      int16             `json:"code"`
	Language  string            `json:"language"`
	Version   int16             `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark"`
	ExtFields map[string]string `json:"extFields"`
	Body      []byte            `json:"-"`
}

// wireInvoke sends one request and returns the matching response.
func wireInvoke(addr string, code int16, ext map[string]string) (*wireCommand, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if ext == nil {
		ext = map[string]string{}
	}
	req := wireCommand{Code: code, Language: "GO", Version: 317, Opaque: wireOpaque.Add(1), ExtFields: ext}
	header, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 8+len(header))
	binary.BigEndian.PutUint32(frame[0:], uint32(4+len(header)))
	binary.BigEndian.PutUint32(frame[4:], uint32(len(header))) // serialize type 0 = JSON
	copy(frame[8:], header)
	if _, err := conn.Write(frame); err != nil {
		return nil, err
	}
	for {
		resp, err := readWireFrame(conn)
		if err != nil {
			return nil, err
		}
		if resp.Opaque == req.Opaque && resp.Flag&1 == 1 {
			return resp, nil
		}
	}
}

func readWireFrame(r io.Reader) (*wireCommand, error) {
	var lens [8]byte
	if _, err := io.ReadFull(r, lens[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(lens[0:])
	mark := binary.BigEndian.Uint32(lens[4:])
	headerLen := mark & 0xFFFFFF
	if total < 4+headerLen || total > 16<<20 {
		return nil, fmt.Errorf("bad frame: length %d, header length %d", total, headerLen)
	}
	rest := make([]byte, total-4)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	cmd := &wireCommand{}
	switch mark >> 24 {
	case 0:
		var raw struct {
			Code      int16                      `json:"code"`
			Opaque    int32                      `json:"opaque"`
			Flag      int32                      `json:"flag"`
			Remark    string                     `json:"remark"`
			ExtFields map[string]json.RawMessage `json:"extFields"`
		}
		if err := json.Unmarshal(rest[:headerLen], &raw); err != nil {
			return nil, fmt.Errorf("response header is not JSON: %w", err)
		}
		cmd.Code, cmd.Opaque, cmd.Flag, cmd.Remark = raw.Code, raw.Opaque, raw.Flag, raw.Remark
		cmd.ExtFields = map[string]string{}
		for k, v := range raw.ExtFields {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				// The Go client decodes extFields into map[string]string and fails on anything else.
				return nil, fmt.Errorf("extFields[%q] = %s is not a JSON string", k, v)
			}
			cmd.ExtFields[k] = s
		}
	case 1:
		h := rest[:headerLen]
		if len(h) < 21 {
			return nil, fmt.Errorf("short ROCKETMQ header")
		}
		cmd.Code = int16(binary.BigEndian.Uint16(h[0:]))
		cmd.Opaque = int32(binary.BigEndian.Uint32(h[5:]))
		cmd.Flag = int32(binary.BigEndian.Uint32(h[9:]))
		rl := int(binary.BigEndian.Uint32(h[13:]))
		if 17+rl+4 > len(h) {
			return nil, fmt.Errorf("bad remark length")
		}
		cmd.Remark = string(h[17 : 17+rl])
		cmd.ExtFields = map[string]string{}
		p := 17 + rl
		el := int(binary.BigEndian.Uint32(h[p:]))
		p += 4
		end := p + el
		for p+2 <= end && end <= len(h) {
			kl := int(binary.BigEndian.Uint16(h[p:]))
			k := string(h[p+2 : p+2+kl])
			p += 2 + kl
			vl := int(binary.BigEndian.Uint32(h[p:]))
			cmd.ExtFields[k] = string(h[p+4 : p+4+vl])
			p += 4 + vl
		}
	default:
		return nil, fmt.Errorf("unknown serialize type %d", mark>>24)
	}
	cmd.Body = rest[headerLen:]
	return cmd, nil
}

// fastjson (Java RocketMQ) writes integer map keys unquoted: {"brokerAddrs":{0:"127.0.0.1:10911"}}.
var unquotedIntKey = regexp.MustCompile(`([{,]\s*)(-?\d+)\s*:`)

// lenientJSON decodes RocketMQ remoting bodies, accepting unquoted integer map keys.
func lenientJSON(body []byte, v any) error {
	fixed := unquotedIntKey.ReplaceAll(body, []byte(`$1"$2":`))
	return json.Unmarshal(fixed, v)
}

type brokerData struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
}

type clusterInfo struct {
	BrokerAddrTable  map[string]brokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string   `json:"clusterAddrTable"`
}

type queueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int    `json:"readQueueNums"`
	WriteQueueNums int    `json:"writeQueueNums"`
	Perm           int    `json:"perm"`
	TopicSysFlag   int    `json:"topicSysFlag"`
}

type topicRoute struct {
	OrderTopicConf string       `json:"orderTopicConf"`
	QueueDatas     []queueData  `json:"queueDatas"`
	BrokerDatas    []brokerData `json:"brokerDatas"`
}

func fetchClusterInfo(namesrv string) (*clusterInfo, error) {
	resp, err := wireInvoke(namesrv, codeGetBrokerClusterInfo, nil)
	if err != nil {
		return nil, err
	}
	if resp.Code != codeSuccess {
		return nil, fmt.Errorf("GET_BROKER_CLUSTER_INFO: code %d %s", resp.Code, resp.Remark)
	}
	ci := &clusterInfo{}
	if err := lenientJSON(resp.Body, ci); err != nil {
		return nil, fmt.Errorf("cluster info body %q: %w", resp.Body, err)
	}
	return ci, nil
}

// fetchRouteWire returns the route, or (nil, code 17 error) for an unknown topic.
func fetchRouteWire(namesrv, topic string) (*topicRoute, int16, error) {
	resp, err := wireInvoke(namesrv, codeGetRouteInfoByTopic, map[string]string{"topic": topic})
	if err != nil {
		return nil, -1, err
	}
	if resp.Code != codeSuccess {
		return nil, resp.Code, fmt.Errorf("GET_ROUTEINFO_BY_TOPIC %s: code %d %s", topic, resp.Code, resp.Remark)
	}
	r := &topicRoute{}
	if err := lenientJSON(resp.Body, r); err != nil {
		return nil, resp.Code, fmt.Errorf("route body %q: %w", resp.Body, err)
	}
	return r, resp.Code, nil
}

// masterBrokers returns brokerName -> master address (brokerId 0) from the cluster info.
func masterBrokers(t *testing.T) map[string]string {
	t.Helper()
	ci, err := fetchClusterInfo(cfg.namesrv[0])
	if err != nil {
		t.Fatalf("cluster info from %s: %v", cfg.namesrv[0], err)
	}
	out := map[string]string{}
	for name, bd := range ci.BrokerAddrTable {
		if addr := bd.BrokerAddrs["0"]; addr != "" {
			out[name] = addr
		}
	}
	if len(out) == 0 {
		t.Fatalf("no master broker registered at %s: %+v", cfg.namesrv[0], ci)
	}
	if cfg.multi && len(out) < 2 {
		t.Fatalf("FERROMQ_MULTI=1 but only %d broker(s) registered: %v", len(out), out)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// waitForRoute waits until every NameServer routes topic to all of brokers.
func waitForRoute(t *testing.T, topic string, brokers []string) *topicRoute {
	t.Helper()
	var last *topicRoute
	for _, ns := range cfg.namesrv {
		waitFor(t, 15*time.Second, fmt.Sprintf("route of %s on %s to list brokers %v", topic, ns, brokers), func() bool {
			r, _, err := fetchRouteWire(ns, topic)
			if err != nil {
				return false
			}
			have := map[string]bool{}
			for _, q := range r.QueueDatas {
				have[q.BrokerName] = true
			}
			for _, b := range brokers {
				if !have[b] {
					return false
				}
			}
			last = r
			return true
		})
	}
	return last
}
