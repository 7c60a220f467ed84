package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, "mlserve.yaml", "http:\n  read_timeout: 31s\nworker:\n  queues:\n    train: 11\n")
	tests := []struct {
		name        string
		args        []string
		env         []string
		wantTimeout time.Duration
		wantTrain   int
	}{
		{"defaults apply when nothing sets a key", nil, nil, 30 * time.Second, 1},
		{"a config file beats the defaults", []string{"--config", file}, nil, 31 * time.Second, 11},
		{"MLSERVE_CONFIG names the file too", nil, []string{"MLSERVE_CONFIG", file}, 31 * time.Second, 11},
		{"the environment beats the config file",
			[]string{"--config", file},
			[]string{"MLSERVE_HTTP_READ_TIMEOUT", "32s", "MLSERVE_WORKER_QUEUES_TRAIN", "12"},
			32 * time.Second, 12},
		{"flags beat the environment",
			[]string{"--config", file, "--http-read-timeout", "33s", "--worker-queues-train=13"},
			[]string{"MLSERVE_HTTP_READ_TIMEOUT", "32s", "MLSERVE_WORKER_QUEUES_TRAIN", "12"},
			33 * time.Second, 13},
		{"an empty environment variable counts as unset",
			[]string{"--config", file},
			[]string{"MLSERVE_HTTP_READ_TIMEOUT", ""},
			31 * time.Second, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.args, getenv(tt.env...))
			if c.HTTP.ReadTimeout != tt.wantTimeout {
				t.Errorf("http.read_timeout = %v, want %v", c.HTTP.ReadTimeout, tt.wantTimeout)
			}
			if got := c.Worker.Queues["train"]; got != tt.wantTrain {
				t.Errorf("worker.queues.train = %d, want %d", got, tt.wantTrain)
			}
		})
	}
}

func TestConfigFlagBeatsConfigEnv(t *testing.T) {
	flagFile := writeFile(t, "a.yaml", "mongo:\n  database: from_flag\n")
	envFile := writeFile(t, "b.yaml", "mongo:\n  database: from_env\n")
	c := mustLoad(t, []string{"--config=" + flagFile}, getenv("MLSERVE_CONFIG", envFile))
	if c.Mongo.Database != "from_flag" {
		t.Fatalf("mongo.database = %q, want the --config file's", c.Mongo.Database)
	}
}

func TestConfigFileFormats(t *testing.T) {
	hash := strings.Repeat("cd", 32)
	tests := []struct{ name, file, content string }{
		{"YAML with a list of keys", "c.yaml", `
worker:
  queues:
    score: 7
limits:
  body_bytes: 2048
redis:
  tls: true
auth:
  keys:
    - ci:` + hash + `:predict+read
    - ` + opsKey + `
`},
		{"YAML with keys in one comma-separated string", "c.yml", `
worker: {queues: {score: 7}}
limits: {body_bytes: 2KiB}
redis: {tls: "true"}
auth: {keys: "ci:` + hash + `:predict+read, ` + opsKey + `"}
`},
		{"JSON", "c.json", `{"worker": {"queues": {"score": 7}}, "limits": {"body_bytes": 2048}, "redis": {"tls": true},
 "auth": {"keys": ["ci:` + hash + `:predict+read", "` + opsKey + `"]}}`},
		{"TOML", "c.toml", `
[worker.queues]
score = 7
[limits]
body_bytes = 2048
[redis]
tls = true
[auth]
keys = ["ci:` + hash + `:predict+read", "` + opsKey + `"]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" sets nested keys and leaves their siblings at the default", func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			c := mustLoad(t, []string{"--config", path}, func(string) string { return "" })
			if c.Worker.Queues["score"] != 7 || c.Worker.Queues["train"] != 1 {
				t.Errorf("worker.queues = %v, want score 7 and train 1", c.Worker.Queues)
			}
			if c.Limits.BodyBytes != 2048 || !c.Redis.TLS {
				t.Errorf("limits.body_bytes = %d, redis.tls = %v", c.Limits.BodyBytes, c.Redis.TLS)
			}
			if len(c.Auth.Keys) != 2 || c.Auth.Keys[0].Name != "ci" || c.Auth.Keys[1].Name != "ops" {
				t.Errorf("auth.keys = %+v", c.Auth.Keys)
			}
		})
	}
}

// TestEveryKeyIsSettable sets each key to its example through each layer and
// checks that exactly that key changed, and to the same value every way.
func TestEveryKeyIsSettable(t *testing.T) {
	base := mustLoad(t, nil, getenv()).Masked()
	for _, k := range table() {
		t.Run(k.Name+" is settable from a file, the environment and a flag", func(t *testing.T) {
			if k.example == k.Default {
				t.Fatalf("example %q equals the default", k.example)
			}
			file := writeFile(t, "c.json", nestedJSON(t, k.Name, k.example))
			ways := map[string]*Config{
				// getenv's own MLSERVE_AUTH_KEYS would beat the file.
				"file": mustLoad(t, []string{"--config", file}, getenv(k.Env, "")),
				"env":  mustLoad(t, nil, getenv(k.Env, k.example)),
				"flag": mustLoad(t, []string{"--" + k.Flag + "=" + k.example}, getenv()),
			}
			want := show(ways["env"].Masked()[k.Name])
			if want == show(base[k.Name]) {
				t.Fatalf("%s=%q left the value at its default %s", k.Env, k.example, want)
			}
			for way, c := range ways {
				m := c.Masked()
				if got := show(m[k.Name]); got != want {
					t.Errorf("from the %s: %s = %s, from the environment %s", way, k.Name, got, want)
				}
				for name, v := range m {
					if name != k.Name && show(v) != show(base[name]) {
						t.Errorf("from the %s: setting %s also changed %s to %s", way, k.Name, name, show(v))
					}
				}
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string
	}{
		{"a duration that does not parse", nil, []string{"MLSERVE_HTTP_READ_TIMEOUT", "abc"},
			`config: http.read_timeout: "abc" is not a duration`},
		{"a zero duration", []string{"--worker-cancel-poll=0s"}, nil,
			"config: worker.cancel_poll: must be positive, got 0s (from --worker-cancel-poll)"},
		{"a negative limit", nil, []string{"MLSERVE_LIMITS_PREDICT_ROWS", "-1"},
			"config: limits.predict_rows: must be positive, got -1 (from MLSERVE_LIMITS_PREDICT_ROWS)"},
		{"an integer that does not parse", nil, []string{"MLSERVE_WORKER_CONCURRENCY", "four"},
			`config: worker.concurrency: "four" is not an integer`},
		{"zero concurrency", []string{"--worker-concurrency", "0"}, nil, "config: worker.concurrency: must be at least 1"},
		{"a zero queue weight", nil, []string{"MLSERVE_WORKER_QUEUES_SCORE", "0"}, "config: worker.queues.score: must be at least 1"},
		{"too many retries", nil, []string{"MLSERVE_JOBS_MAX_RETRY", "101"}, "config: jobs.max_retry: must be between 0 and 100"},
		{"a training memory limit of 64MiB", nil, []string{"MLSERVE_JOBS_TRAIN_MEMORY", "64MiB"},
			"config: jobs.train_memory: must be more than 64MiB, got 67108864 bytes"},
		{"a negative redis db", nil, []string{"MLSERVE_REDIS_DB", "-1"}, "config: redis.db: must be at least 0"},
		{"a size with an unknown unit", nil, []string{"MLSERVE_CACHE_BYTES", "3 parsecs"}, `config: cache.bytes: "3 parsecs" is not a size`},
		{"a zero cache", nil, []string{"MLSERVE_CACHE_BYTES", "0"}, "config: cache.bytes: must be positive"},
		{"a boolean that does not parse", nil, []string{"MLSERVE_REDIS_TLS", "maybe"}, `config: redis.tls: "maybe" is not a boolean`},
		{"an unknown log level", nil, []string{"MLSERVE_LOG_LEVEL", "loud"}, `config: log.level: "loud" unknown (want debug, info, warn or error)`},
		{"an unknown log format", nil, []string{"MLSERVE_LOG_FORMAT", "xml"}, `config: log.format: "xml" unknown (want json or text)`},
		{"an address without a port", nil, []string{"MLSERVE_HTTP_ADDR", "localhost"}, `config: http.addr: "localhost" is not host:port`},
		{"an empty database", []string{"--mongo-database="}, nil, "config: mongo.database: must not be empty"},
		{"a database name with a dot", nil, []string{"MLSERVE_MONGO_DATABASE", "a.b"}, `config: mongo.database: "a.b" is not a MongoDB database name`},
		{"a URI that is not MongoDB's, without echoing it", nil, []string{"MLSERVE_MONGO_URI", "http://u:hunter2@h"},
			"config: mongo.uri: want a mongodb:// or mongodb+srv:// URI (from MLSERVE_MONGO_URI)"},
		{"an empty mongo.uri outside mlserve-dev", []string{"--mongo-uri="}, nil, "config: mongo.uri: required"},
		{"an empty redis.addr outside mlserve-dev", []string{"--redis-addr="}, nil, "config: redis.addr: required"},
		{"auth enabled without keys", []string{"--auth-keys="}, nil,
			"config: auth.keys: at least one key is required when auth.enabled is true"},
		{"an unknown scope", nil, []string{"MLSERVE_AUTH_KEYS", opsKey + ",ci:" + strings.Repeat("01", 32) + ":root"},
			`config: auth.keys[1]: key "ci": scope "root" unknown (want predict, read or admin) (from MLSERVE_AUTH_KEYS)`},
		{"a repeated key name", nil, []string{"MLSERVE_AUTH_KEYS", opsKey + "," + strings.Replace(opsKey, "ab", "cd", 1)},
			`config: auth.keys[1]: name "ops" repeats entry 0`},
		{"a repeated hash, whatever its case", nil, []string{"MLSERVE_AUTH_KEYS", opsKey + ",ci:" + strings.Repeat("AB", 32) + ":read"},
			`config: auth.keys[1]: key "ci": hash repeats entry 0`},
		{"an empty entry", nil, []string{"MLSERVE_AUTH_KEYS", opsKey + ","}, "config: auth.keys[1]: want name:sha256hex:scope"},
		{"an unknown flag", []string{"--http-adr=:1"}, nil, "config: unknown flag: --http-adr"},
		{"a positional argument", []string{"serve"}, nil, `config: unexpected argument "serve"`},
		{"a bool flag followed by a separate value", []string{"--auth-enabled", "false"}, nil, `config: unexpected argument "false"`},
	}
	for _, tt := range tests {
		t.Run("Load rejects "+tt.name, func(t *testing.T) {
			_, err := Load(tt.args, getenv(tt.env...))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), strings.Repeat("ab", 32)) {
				t.Fatalf("error %q quotes a secret", err)
			}
		})
	}
}

func TestLoadReportsEveryBadKeyAtOnce(t *testing.T) {
	_, err := Load(nil, getenv("MLSERVE_HTTP_ADDR", "x", "MLSERVE_REDIS_DB", "y"))
	if err == nil || !strings.Contains(err.Error(), "http.addr") || !strings.Contains(err.Error(), "redis.db") {
		t.Fatalf("error = %v, want both http.addr and redis.db named", err)
	}
}

func TestLoadRejectsBadConfigFiles(t *testing.T) {
	tests := []struct{ name, file, content, wantErr string }{
		{"an unknown key, usually a typo", "c.yaml", "http:\n  adr: ':1'\n", `config: --config FILE: key "http.adr" unknown`},
		{"an unknown job type queue", "c.yaml", "worker:\n  queues:\n    predict: 1\n", `key "worker.queues.predict" unknown`},
		{"an unsupported extension", "c.ini", "", `extension ".ini" unsupported`},
		{"a syntax error", "c.json", "{", "config: --config FILE:"},
		{"a number where a duration is wanted", "c.yaml", "mongo:\n  timeout: 10\n",
			`config: mongo.timeout: want a duration such as "30s" or "5m", got a number (from FILE)`},
		{"a number where a string is wanted", "c.yaml", "redis:\n  password: 0123\n",
			"config: redis.password: want a string, got a number (quote it)"},
		{"a fractional JSON number where an integer is wanted", "c.json", `{"redis": {"db": 1.5}}`,
			"config: redis.db: want an integer, got a number"},
	}
	for _, tt := range tests {
		t.Run("Load rejects "+tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			_, err := Load([]string{"--config", path}, getenv())
			want := strings.ReplaceAll(tt.wantErr, "FILE", path)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error = %v, want it to contain %q", err, want)
			}
		})
	}
	t.Run("Load rejects a missing file", func(t *testing.T) {
		if _, err := Load(nil, getenv("MLSERVE_CONFIG", "/nonexistent/mlserve.yaml")); err == nil ||
			!strings.Contains(err.Error(), "config: MLSERVE_CONFIG /nonexistent/mlserve.yaml:") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20},
		{"64KiB", 64 << 10},
		{"256MiB", 256 << 20},
		{"1GiB", 1 << 30},
		{"10MB", 10_000_000},
		{" 5 B ", 5},
	}
	for _, tt := range tests {
		t.Run(tt.in+" is "+show(tt.want)+" bytes", func(t *testing.T) {
			c := mustLoad(t, []string{"--limits-dataset-bytes", tt.in}, getenv())
			if c.Limits.DatasetBytes != tt.want {
				t.Fatalf("limits.dataset_bytes = %d, want %d", c.Limits.DatasetBytes, tt.want)
			}
		})
	}
}

func TestAuthKeysFromFlagsAccumulate(t *testing.T) {
	ci := "ci:" + strings.Repeat("01", 32) + ":predict+read"
	c := mustLoad(t, []string{"--auth-keys", opsKey, "--auth-keys", ci}, getenv("MLSERVE_AUTH_KEYS", ""))
	if len(c.Auth.Keys) != 2 {
		t.Fatalf("auth.keys = %+v, want ops and ci", c.Auth.Keys)
	}
	k := c.Auth.Keys[1]
	if k.Name != "ci" || k.Hash[0] != 0x01 || strings.Join(k.Scopes, "+") != "predict+read" {
		t.Fatalf("auth.keys[1] = %+v", k)
	}
}

func TestForDev(t *testing.T) {
	c := mustLoad(t, nil, func(string) string { return "" }, ForDev())
	t.Run("mlserve-dev needs no configuration at all", func(t *testing.T) {
		if c.Auth.Enabled || c.Mongo.URI != "" || c.Redis.Addr != "" {
			t.Fatalf("auth.enabled = %v, mongo.uri = %q, redis.addr = %q", c.Auth.Enabled, c.Mongo.URI, c.Redis.Addr)
		}
	})
	t.Run("mlserve-dev listens on loopback and logs text", func(t *testing.T) {
		if c.HTTP.Addr != "127.0.0.1:8080" || c.Log.Format != "text" || c.Dev.DataDir != "./data" {
			t.Fatalf("http.addr = %q, log.format = %q, dev.data_dir = %q", c.HTTP.Addr, c.Log.Format, c.Dev.DataDir)
		}
	})
	t.Run("mlserve-dev can still point at real stores", func(t *testing.T) {
		c := mustLoad(t, []string{"--redis-addr", "localhost:6379"}, getenv("MLSERVE_MONGO_URI", "mongodb://db:27017"), ForDev())
		if c.Mongo.URI != "mongodb://db:27017" || c.Redis.Addr != "localhost:6379" {
			t.Fatalf("mongo.uri = %q, redis.addr = %q", c.Mongo.URI, c.Redis.Addr)
		}
	})
	t.Run("mlserve-dev needs a data dir for the embedded MongoDB", func(t *testing.T) {
		_, err := Load([]string{"--dev-data-dir="}, getenv(), ForDev())
		if err == nil || !strings.Contains(err.Error(), "config: dev.data_dir: required") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("Keys shows mlserve-dev's defaults with ForDev", func(t *testing.T) {
		for _, k := range Keys(ForDev()) {
			if k.Name == "auth.enabled" && k.Default != "false" {
				t.Fatalf("auth.enabled default = %q", k.Default)
			}
		}
	})
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg+" writes the usage and returns ErrHelp", func(t *testing.T) {
			var out strings.Builder
			_, err := Load([]string{arg}, getenv(), Output(&out), Name("mlserve api"))
			if !errors.Is(err, pflag.ErrHelp) {
				t.Fatalf("error = %v, want pflag.ErrHelp", err)
			}
			for _, want := range []string{"Usage: mlserve api [flags]", "--worker-queues-train int", "MLSERVE_WORKER_QUEUES_TRAIN", "--config string"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("usage lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
