package embedded_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/internal/embedded"
)

func TestStartMongo(t *testing.T) {
	t.Run("two servers run side by side", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		uri1, _ := start(t, t.TempDir())
		uri2, _ := start(t, t.TempDir())
		if uri1 == uri2 {
			t.Fatalf("both servers have uri %s", uri1)
		}
		insert(ctx, t, uri1, "one")
		if n := count(ctx, t, uri2); n != 0 {
			t.Errorf("the second server sees %d documents of the first", n)
		}
	})
	t.Run("data survives a restart", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		dir := t.TempDir()
		uri, stop := start(t, dir)
		insert(ctx, t, uri, "kept")
		stop()

		uri, _ = start(t, dir)
		if n := count(ctx, t, uri); n != 1 {
			t.Errorf("after a restart the collection has %d documents, want 1", n)
		}
	})
}

// start starts a server in dir and stops it at cleanup, after the clients
// the test opens later have disconnected (cleanups run last first).
func start(tb testing.TB, dir string) (uri string, stop func()) {
	tb.Helper()
	began := time.Now()
	uri, stop, err := embedded.StartMongo(context.Background(), dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("started %s in %v", uri, time.Since(began))
	tb.Cleanup(stop)
	return uri, stop
}

func collection(ctx context.Context, tb testing.TB, uri string) *mongo.Collection {
	tb.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(ctx) })
	return c.Database("test").Collection("things")
}

func insert(ctx context.Context, tb testing.TB, uri, name string) {
	tb.Helper()
	c := collection(ctx, tb, uri)
	if _, err := c.InsertOne(ctx, bson.D{{Key: "name", Value: name}}); err != nil {
		tb.Fatal(err)
	}
	if err := c.Database().Client().Disconnect(ctx); err != nil {
		tb.Fatal(err)
	}
}

func count(ctx context.Context, tb testing.TB, uri string) int64 {
	tb.Helper()
	n, err := collection(ctx, tb, uri).CountDocuments(ctx, bson.D{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
