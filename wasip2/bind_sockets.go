package wasip2

import (
	"context"

	"github.com/wasmhive/wasmhive/abi/canonical"
)

// Sockets are a capability granted later: every wasi:sockets operation is
// denied with error-code access-denied. The interfaces are all there, so
// that components importing them instantiate; no socket, address stream or
// datagram stream is ever made, so the methods of those resources can only
// be reached with a handle the host never gave (they trap then, except
// those returning a result, which are denied too).

// accessDenied is wasi:sockets/network error-code access-denied.
const accessDenied = canonical.Enum(1)

// network is a wasi:sockets/network network.
type network struct{}

// socket stands for the socket resources (never made).
type socket struct{}

func denied(context.Context, *State, []canonical.Value) (canonical.Value, error) {
	return canonical.Err(accessDenied), nil
}

func noSocket(kind string) hostFn {
	return func(_ context.Context, _ *State, args []canonical.Value) (canonical.Value, error) {
		rep, _ := handle(args, 0)
		return nil, errNoResource(kind, rep)
	}
}

func defineSockets(l registrar) {
	net := iface(l, "wasi:sockets/network")
	resource[*network](net, "network")
	net.fn("network-error-code", func(context.Context, *State, []canonical.Value) (canonical.Value, error) {
		return canonical.None, nil
	})
	iface(l, "wasi:sockets/instance-network").fn("instance-network", func(_ context.Context, s *State, _ []canonical.Value) (canonical.Value, error) {
		return pushOwn(s, &network{})
	})
	iface(l, "wasi:sockets/tcp-create-socket").fn("create-tcp-socket", denied)
	iface(l, "wasi:sockets/udp-create-socket").fn("create-udp-socket", denied)

	lookup := iface(l, "wasi:sockets/ip-name-lookup")
	lookup.fn("resolve-addresses", denied)
	resource[*socket](lookup, "resolve-address-stream")
	lookup.fn("[method]resolve-address-stream.resolve-next-address", denied)
	lookup.fn("[method]resolve-address-stream.subscribe", noSocket("resolve-address-stream"))

	tcp := iface(l, "wasi:sockets/tcp")
	resource[*socket](tcp, "tcp-socket")
	for _, name := range []string{
		"start-bind", "finish-bind", "start-connect", "finish-connect", "start-listen", "finish-listen",
		"accept", "local-address", "remote-address", "set-listen-backlog-size",
		"keep-alive-enabled", "set-keep-alive-enabled", "keep-alive-idle-time", "set-keep-alive-idle-time",
		"keep-alive-interval", "set-keep-alive-interval", "keep-alive-count", "set-keep-alive-count",
		"hop-limit", "set-hop-limit", "receive-buffer-size", "set-receive-buffer-size",
		"send-buffer-size", "set-send-buffer-size", "shutdown",
	} {
		tcp.fn("[method]tcp-socket."+name, denied)
	}
	for _, name := range []string{"is-listening", "address-family", "subscribe"} {
		tcp.fn("[method]tcp-socket."+name, noSocket("tcp-socket"))
	}

	udp := iface(l, "wasi:sockets/udp")
	resource[*socket](udp, "udp-socket")
	resource[*socket](udp, "incoming-datagram-stream")
	resource[*socket](udp, "outgoing-datagram-stream")
	for _, name := range []string{
		"start-bind", "finish-bind", "stream", "local-address", "remote-address",
		"unicast-hop-limit", "set-unicast-hop-limit", "receive-buffer-size", "set-receive-buffer-size",
		"send-buffer-size", "set-send-buffer-size",
	} {
		udp.fn("[method]udp-socket."+name, denied)
	}
	for _, name := range []string{"address-family", "subscribe"} {
		udp.fn("[method]udp-socket."+name, noSocket("udp-socket"))
	}
	udp.fn("[method]incoming-datagram-stream.receive", denied)
	udp.fn("[method]incoming-datagram-stream.subscribe", noSocket("incoming-datagram-stream"))
	udp.fn("[method]outgoing-datagram-stream.check-send", denied)
	udp.fn("[method]outgoing-datagram-stream.send", denied)
	udp.fn("[method]outgoing-datagram-stream.subscribe", noSocket("outgoing-datagram-stream"))
}
