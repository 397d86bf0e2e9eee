package sftp_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/testkit"
)

// fakeSFTP answers init and opendir like a server, then misbehaves on the
// listing as told.
func fakeSFTP(onReaddir func(ch io.ReadWriter, id uint32)) func(io.ReadWriter) {
	return func(ch io.ReadWriter) {
		reply := func(typ byte, body []byte) {
			pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(body)))
			_, _ = ch.Write(append(append(pkt, typ), body...))
		}
		for {
			var hdr [5]byte
			if _, err := io.ReadFull(ch, hdr[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(hdr[:4])-1)
			if _, err := io.ReadFull(ch, body); err != nil {
				return
			}
			switch hdr[4] {
			case 1: // init
				reply(2, binary.BigEndian.AppendUint32(nil, 3))
			case 11: // opendir
				id := body[:4]
				reply(102, append(append([]byte{}, id...), 0, 0, 0, 1, 'h'))
			case 12: // readdir
				onReaddir(ch, binary.BigEndian.Uint32(body[:4]))
			default:
				reply(101, append(append([]byte{}, body[:4]...), 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0))
			}
		}
	}
}

func TestMisbehavingSFTPServers(t *testing.T) {
	tests := []struct {
		name      string
		onReaddir func(ch io.ReadWriter, id uint32)
		fragments []string
	}{
		{"stalls mid-listing", nil, []string{"failed at sftp: listing /exports: timed out after 10s (0 entries read)"}},
		{"huge packet", func(ch io.ReadWriter, id uint32) {
			_, _ = ch.Write([]byte{0x7f, 0xff, 0xff, 0xff, 104})
		}, []string{"the server sent an SFTP packet of 2147483647 bytes (limit 1048576)"}},
		{"lying count", func(ch io.ReadWriter, id uint32) {
			body := binary.BigEndian.AppendUint32(nil, id)
			body = binary.BigEndian.AppendUint32(body, 1_000_000) // entries that never come
			pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(body)))
			_, _ = ch.Write(append(append(pkt, 104), body...))
		}, []string{"the server sent a truncated SFTP packet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testkit.NewSSHServer(t, "export", secret, nil)
			synctest.Test(t, func(t *testing.T) {
				// Made in the bubble, so waiting on it is durable.
				stall := make(chan struct{})
				on := tt.onReaddir
				if on == nil {
					on = func(io.ReadWriter, uint32) { <-stall }
				}
				srv.SFTP = fakeSFTP(on)
				p, err := sftp.New(&sftp.Check{Connection: ssh.Connection{Address: "files.example.org", User: "export", Password: secret}, Path: "/exports/*.xml", MinCount: 1})
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				p.Dialer().SetDial(func(context.Context, string) (net.Conn, error) {
					client, server := testkit.Pipe()
					wg.Go(func() { defer server.Close(); srv.ServeConn(server) })
					return client, nil
				})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r := p.Probe(ctx)
				cancel()
				close(stall)
				wg.Wait()
				want(t, r, probe.Critical, tt.fragments...)
			})
		})
	}
}
