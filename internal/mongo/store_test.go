package mongo

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/embedded"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// newStore opens a Store on a fresh embedded FerretDB and closes it at
// cleanup.
func newStore(tb testing.TB) *Store {
	tb.Helper()
	return openStore(tb, testenv.Mongo(tb))
}

func openStore(tb testing.TB, cfg config.Mongo) *Store {
	tb.Helper()
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

// commandLog records the commands a client sends, as "<command>
// <collection>", with " batchSize=<n>" when the command has one.
type commandLog struct {
	mu    sync.Mutex
	cmds  []string
	finds []findCommand // every find since the last takeFinds
}

// findCommand is the collection and filter of a find command.
type findCommand struct {
	coll   string
	filter bson.Raw
}

func (l *commandLog) started(_ context.Context, e *event.CommandStartedEvent) {
	coll, ok := e.Command.Lookup(e.CommandName).StringValueOK()
	if !ok { // getMore names its cursor first
		coll, _ = e.Command.Lookup("collection").StringValueOK()
	}
	cmd := e.CommandName + " " + coll
	if n, ok := e.Command.Lookup("batchSize").AsInt64OK(); ok {
		cmd += fmt.Sprintf(" batchSize=%d", n)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = append(l.cmds, cmd)
	if e.CommandName == "find" {
		filter, _ := e.Command.Lookup("filter").DocumentOK()
		l.finds = append(l.finds, findCommand{coll: coll, filter: slices.Clone(filter)})
	}
}

// takeFinds returns the find commands sent since the last takeFinds, in
// order, and forgets them.
func (l *commandLog) takeFinds() []findCommand {
	l.mu.Lock()
	defer l.mu.Unlock()
	finds := l.finds
	l.finds = nil
	return finds
}

// take returns the commands sent since the last take, in order, and
// forgets them.
func (l *commandLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	cmds := l.cmds
	l.cmds = nil
	return cmds
}

// newMonitoredStore is newStore whose client records in the log it returns
// every command it sends.
func newMonitoredStore(tb testing.TB) (*Store, *commandLog) {
	tb.Helper()
	cfg := testenv.Mongo(tb)
	s := openStore(tb, cfg)
	log := &commandLog{}
	client, err := mongo.Connect(options.Client().ApplyURI(cfg.URI).SetRegistry(registry()).
		SetMonitor(&event.CommandMonitor{Started: log.started}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := client.Disconnect(context.Background()); err != nil {
			tb.Errorf("disconnect: %v", err)
		}
	})
	monitored := *s
	monitored.client, monitored.db = client, client.Database(cfg.Database)
	return &monitored, log
}

// withShortTimeout bounds s's operations by 300 ms from now on, for tests
// that stop the server under an open store: opening it, which creates the
// indexes, keeps the generous bound a busy machine may need.
func withShortTimeout(s *Store) *Store {
	s.timeout = 300 * time.Millisecond
	return s
}

// wantCode fails tb unless err carries the model error code want.
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := model.ErrorCode(err); got != want {
		tb.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	t.Run("opening the same database twice succeeds", func(t *testing.T) {
		t.Parallel()
		cfg := testenv.Mongo(t)
		first := openStore(t, cfg)
		second := openStore(t, cfg)
		for _, s := range []*Store{first, second} {
			if err := s.Ping(context.Background()); err != nil {
				t.Errorf("ping: %v", err)
			}
		}
	})
	t.Run("a server that is not there is unavailable", func(t *testing.T) {
		t.Parallel()
		cfg := config.Mongo{URI: "mongodb://" + closedAddr(t) + "/", Database: "test", Timeout: 300 * time.Millisecond}
		_, err := Open(context.Background(), cfg, nil)
		wantCode(t, err, model.CodeUnavailable)
	})
	t.Run("a server that goes away makes operations unavailable", func(t *testing.T) {
		t.Parallel()
		uri, stop, err := embedded.StartMongo(context.Background(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		s := withShortTimeout(openStore(t, config.Mongo{URI: uri, Database: "test", Timeout: 10 * time.Second}))
		stop() // waits for the store's connections to be cut

		_, err = s.Job(context.Background(), "000000000000000000000000")
		wantCode(t, err, model.CodeUnavailable)
		wantCode(t, s.Ping(context.Background()), model.CodeUnavailable)
	})
}

func TestBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	want := strings.Repeat("sepal_length,species\n5.1,setosa\n", 20_000) // several chunks

	for _, name := range []string{BucketDatasets, BucketArtifacts, BucketOutputs} {
		t.Run("a file written to "+name+" reads back", func(t *testing.T) {
			id, err := s.Bucket(name).UploadFromStream(ctx, "f.csv", strings.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := s.Bucket(name).DownloadToStream(ctx, id, &got); err != nil {
				t.Fatal(err)
			}
			if got.String() != want {
				t.Errorf("read back %d bytes, want %d", got.Len(), len(want))
			}
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}
