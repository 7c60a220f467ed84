package modelcache

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// The fake artifacts are text: "<name>@<version> <size>", or with a "!"
// in front, bytes the loader refuses as not a model. The predictor a
// loader makes of one remembers its tag ("<name>@<version>"), so a test
// can tell which version a predictor belongs to.

// fakePredictor is a model.Predictor that predicts nothing.
type fakePredictor struct {
	tag  string
	size int64
}

func (p *fakePredictor) Predict(*model.Batch, *model.Output) {}
func (p *fakePredictor) Features() []model.Column            { return nil }
func (p *fakePredictor) Classes() []string                   { return nil }
func (p *fakePredictor) Task() string                        { return model.TaskClassification }
func (p *fakePredictor) HasProbabilities() bool              { return false }
func (p *fakePredictor) Missing(int) bool                    { return false }
func (p *fakePredictor) SizeBytes() int64                    { return p.size }

// fakeLoader is a model.PredictorLoader that counts its loads by tag.
type fakeLoader struct {
	mu    sync.Mutex
	loads map[string]int
	// gate, when set, holds every load until it is closed.
	gate chan struct{}
}

func (l *fakeLoader) LoadPredictor(art []byte) (model.Predictor, error) {
	tag, size, _ := strings.Cut(string(art), " ")
	l.mu.Lock()
	if l.loads == nil {
		l.loads = make(map[string]int)
	}
	l.loads[tag]++
	gate := l.gate
	l.mu.Unlock()
	if gate != nil {
		<-gate
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || strings.HasPrefix(tag, "!") {
		return nil, model.Errorf(model.CodeCorrupt, "%q is not a model", art)
	}
	return &fakePredictor{tag: tag, size: n}, nil
}

// count returns how often the version tagged tag was loaded.
func (l *fakeLoader) count(tag string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loads[tag] + l.loads["!"+tag]
}

// env is a registry on a real store, a fake loader and a captured log.
type env struct {
	store  *mongo.Store
	loader *fakeLoader
	logs   *syncBuffer
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvOn(tb, testenv.Mongo(tb))
}

func newEnvOn(tb testing.TB, cfg config.Mongo) *env {
	tb.Helper()
	return &env{store: openStore(tb, cfg), loader: &fakeLoader{}, logs: &syncBuffer{}}
}

func openStore(tb testing.TB, cfg config.Mongo) *mongo.Store {
	tb.Helper()
	s, err := mongo.Open(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// addVersion stores the next version of name, whose predictor takes size
// bytes, and returns its number.
func (e *env) addVersion(tb testing.TB, name string, size int64) int {
	tb.Helper()
	return e.add(tb, name, "", size)
}

// addBrokenVersion stores the next version of name with an artifact that
// matches its sha256 but that the loader refuses.
func (e *env) addBrokenVersion(tb testing.TB, name string) int {
	tb.Helper()
	return e.add(tb, name, "!", 1)
}

func (e *env) add(tb testing.TB, name, prefix string, size int64) int {
	tb.Helper()
	ctx := context.Background()
	next := 1
	page, err := e.store.ListVersions(ctx, name, 1, "")
	switch {
	case err == nil:
		next = page.Versions[0].Version + 1
	case model.ErrorCode(err) != model.CodeNotFound:
		tb.Fatal(err)
	}
	job := bson.NewObjectID().Hex()
	ref, err := e.store.PutArtifact(ctx, job, fmt.Appendf(nil, "%s%s@%d %d", prefix, name, next, size))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := e.store.CreateVersion(ctx, &model.ModelVersion{Name: name, JobID: job, Artifact: ref,
		Algorithm: "random_forest", Task: model.TaskClassification})
	if err != nil {
		tb.Fatal(err)
	}
	if v.Version != next {
		tb.Fatalf("created version %d of %s, want %d", v.Version, name, next)
	}
	return v.Version
}

// corruptArtifact flips a byte of the stored artifact of the version.
func (e *env) corruptArtifact(tb testing.TB, name string, version int) {
	tb.Helper()
	ctx := context.Background()
	v, err := e.store.ResolveVersion(ctx, name, version, "")
	if err != nil {
		tb.Fatal(err)
	}
	chunks := e.store.Bucket(mongo.BucketArtifacts).GetChunksCollection()
	filter := bson.D{{Key: "files_id", Value: v.JobID}, {Key: "n", Value: 0}}
	var chunk struct {
		Data []byte `bson:"data"`
	}
	if err := chunks.FindOne(ctx, filter).Decode(&chunk); err != nil {
		tb.Fatal(err)
	}
	chunk.Data[0] ^= 0x20
	res, err := chunks.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: bson.Binary{Data: chunk.Data}}}}})
	if err != nil || res.ModifiedCount != 1 {
		tb.Fatalf("corrupt chunk: %+v, %v", res, err)
	}
}

func (e *env) setAlias(tb testing.TB, name, alias string, version int) {
	tb.Helper()
	if err := e.store.SetAlias(context.Background(), name, alias, version); err != nil {
		tb.Fatal(err)
	}
}

// newCache returns a cache over e with a budget of maxBytes; edit may
// change its options.
func (e *env) newCache(maxBytes int64, edit ...func(*Options)) *Cache {
	o := Options{
		Versions:  e.store,
		Artifacts: e.store,
		Loader:    e.loader,
		MaxBytes:  maxBytes,
		Refresh:   time.Hour, // tests that want the timer say so
		Logger:    slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range edit {
		f(&o)
	}
	return New(o)
}

// run runs c until the test ends.
func run(tb testing.TB, c *Cache) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
}

// resolve resolves and checks that the predictor is the version's.
func resolve(tb testing.TB, c *Cache, name string, version int, alias string) (int, error) {
	tb.Helper()
	mv, p, err := c.Resolve(context.Background(), name, version, alias)
	if err != nil {
		return 0, err
	}
	if err := matches(mv, p); err != nil {
		tb.Fatal(err)
	}
	return mv.Version, nil
}

// mustResolve resolves and returns the version number.
func mustResolve(tb testing.TB, c *Cache, name string, version int, alias string) int {
	tb.Helper()
	v, err := resolve(tb, c, name, version, alias)
	if err != nil {
		tb.Fatalf("resolve %s version %d alias %q: %v", name, version, alias, err)
	}
	return v
}

// matches checks that p is the predictor of mv.
func matches(mv *model.ModelVersion, p model.Predictor) error {
	if tag := fmt.Sprintf("%s@%d", mv.Name, mv.Version); p.(*fakePredictor).tag != tag {
		return fmt.Errorf("version %s came with the predictor of %s", tag, p.(*fakePredictor).tag)
	}
	return nil
}

func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := model.ErrorCode(err); got != want {
		tb.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

// waitFor polls cond until it holds, failing tb after a generous bound.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitServed waits until the route serves the given version.
func waitServed(tb testing.TB, c *Cache, name, alias string, version int) {
	tb.Helper()
	waitFor(tb, fmt.Sprintf("%s alias %q serves version %d", name, alias, version), func() bool {
		v, err := resolve(tb, c, name, 0, alias)
		return err == nil && v == version
	})
}

// syncBuffer is the log that a logger and a test share.
type syncBuffer struct{ testenv.SyncBuffer }

// count returns how many log lines contain s.
func (b *syncBuffer) count(s string) int {
	return strings.Count(b.String(), s)
}

// callers returns how many calls share the running flight of key.
func (g *flights[K]) callers(key K) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f := g.calls[key]; f != nil {
		return f.callers
	}
	return 0
}
