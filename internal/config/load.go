package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"gitlab.com/mlserve/mlserve/model"
)

// ConfigEnv names the config file when --config is not given.
const ConfigEnv = EnvPrefix + "CONFIG"

// An Option changes how Load behaves.
type Option func(*options)

type options struct {
	dev  bool
	name string
	out  io.Writer
}

func newOptions(opts []Option) options {
	o := options{name: "mlserve", out: os.Stderr}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func (o options) defaultOf(k Key) string {
	if d, ok := devDefaults()[k.Name]; ok && o.dev {
		return d
	}
	return k.Default
}

// ForDev gives mlserve-dev's defaults: auth off, embedded MongoDB and Redis
// (empty mongo.uri and redis.addr), listening on loopback, text logs. It also
// makes mongo.uri and redis.addr optional.
func ForDev() Option { return func(o *options) { o.dev = true } }

// Output sets where --help writes the usage (default os.Stderr).
func Output(w io.Writer) Option { return func(o *options) { o.out = w } }

// Name sets the command shown in the usage, e.g. "mlserve api".
func Name(name string) Option { return func(o *options) { o.name = name } }

// ErrHelp is wrapped by the error Load returns when --help or -h was given:
// the usage was written, and the caller should exit successfully.
var ErrHelp = pflag.ErrHelp

// Load builds the configuration from, lowest precedence first: defaults, the
// config file (--config, or MLSERVE_CONFIG; YAML, JSON or TOML by extension),
// MLSERVE_* environment variables read through getenv (an empty variable
// counts as unset), and the flags in args. args holds flags only, without the
// program or subcommand name.
//
// Every error names the key and where its value came from. With --help or -h
// it writes the usage and returns an error wrapping pflag.ErrHelp, which the
// caller should treat as success.
func Load(args []string, getenv func(string) string, opts ...Option) (*Config, error) {
	o := newOptions(opts)
	keys := table()

	fs, configFlag := newFlagSet(o, keys)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(o.out, usage(o, fs))
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}

	v := viper.New()
	source := make(map[string]string, len(keys))
	for _, k := range keys {
		v.SetDefault(k.Name, o.defaultOf(k.Key))
	}

	path, from := *configFlag, "--config"
	if path == "" {
		path, from = getenv(ConfigEnv), ConfigEnv
	}
	if path != "" {
		if err := readFile(v, path, keys); err != nil {
			return nil, fmt.Errorf("config: %s %s: %w", from, path, err)
		}
		for _, k := range keys {
			if v.InConfig(k.Name) {
				source[k.Name] = path
			}
		}
	}

	for _, k := range keys {
		if val := getenv(k.Env); val != "" {
			v.Set(k.Name, val)
			source[k.Name] = k.Env
		}
	}

	flagKey := make(map[string]string, len(keys))
	for _, k := range keys {
		flagKey[k.Flag] = k.Name
	}
	fs.Visit(func(f *pflag.Flag) {
		if name, ok := flagKey[f.Name]; ok {
			v.Set(name, f.Value.String())
			source[name] = "--" + f.Name
		}
	})

	c := &Config{Worker: Worker{Queues: map[string]int{}}}
	var errs []error
	for _, k := range keys {
		if err := k.load(c, v.Get(k.Name)); err != nil {
			errs = append(errs, keyError(k.Name, source[k.Name], err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.validate(o.dev); err != nil {
		return nil, err
	}
	return c, nil
}

// keyError formats "config: key: problem (from SOURCE)".
func keyError(key, source string, err error) error {
	sep := ": "
	var ee *elemError
	if errors.As(err, &ee) {
		sep = ""
	}
	if source != "" {
		return fmt.Errorf("config: %s%s%w (from %s)", key, sep, err, source)
	}
	return fmt.Errorf("config: %s%s%w", key, sep, err)
}

// readFile reads a config file into v and rejects keys mlserve does not know,
// which are usually typos that would otherwise be silently ignored.
func readFile(v *viper.Viper, path string, keys []key) error {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	if !slices.Contains([]string{"yaml", "yml", "json", "toml"}, ext) {
		return fmt.Errorf("extension %q unsupported (want .yaml, .yml, .json or .toml)", filepath.Ext(path))
	}
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return err
	}
	known := make(map[string]bool, len(keys))
	for _, k := range keys {
		known[k.Name] = true
	}
	for _, name := range v.AllKeys() {
		if !known[name] {
			return fmt.Errorf("key %q unknown", name)
		}
	}
	return nil
}

// validate checks what involves more than one key, once every key parsed.
func (c *Config) validate(dev bool) error {
	var errs []error
	if !dev && c.Mongo.URI == "" {
		errs = append(errs, fmt.Errorf("config: mongo.uri: required (set %s or --%s)", envName("mongo.uri"), flagName("mongo.uri")))
	}
	if !dev && c.Redis.Addr == "" {
		errs = append(errs, fmt.Errorf("config: redis.addr: required (set %s or --%s)", envName("redis.addr"), flagName("redis.addr")))
	}
	if dev && c.Mongo.URI == "" && c.Dev.DataDir == "" {
		errs = append(errs, errors.New("config: dev.data_dir: required when mongo.uri is empty (the embedded MongoDB keeps its files there)"))
	}
	if c.Auth.Enabled && len(c.Auth.Keys) == 0 {
		errs = append(errs, errors.New("config: auth.keys: at least one key is required when auth.enabled is true (make one with mlserve keygen)"))
	}
	for _, t := range model.JobTypes() {
		if c.Worker.Queues[string(t)] < 1 {
			errs = append(errs, fmt.Errorf("config: worker.queues.%s: job type %q has no queue weight", t, t))
		}
	}
	return errors.Join(errs...)
}
