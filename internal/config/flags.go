package config

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// newFlagSet defines one flag per key, named after it (http.read_timeout →
// --http-read-timeout), plus --config. Flags hold raw strings: values are
// parsed with the other layers, so a bad flag is reported like a bad
// environment variable, naming the key.
func newFlagSet(o options, keys []key) (*pflag.FlagSet, *string) {
	fs := pflag.NewFlagSet(o.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // Load reports errors and writes the usage itself
	fs.SortFlags = false
	fs.Usage = func() {}
	configFlag := fs.String("config", "", "config file (.yaml, .yml, .json or .toml); env "+ConfigEnv)
	for _, k := range keys {
		f := fs.VarPF(&rawValue{typ: k.Type, list: k.Type == "keys"}, k.Flag, "", k.Usage+"; env "+k.Env)
		f.DefValue = o.defaultOf(k.Key)
		if k.Type == "bool" {
			f.NoOptDefVal = "true"
		}
	}
	return fs, configFlag
}

func usage(o options, fs *pflag.FlagSet) string {
	return fmt.Sprintf("Usage: %s [flags]\n\n"+
		"Each flag also has an environment variable (shown) and a config file key\n"+
		"(the flag with dots: --http-read-timeout is http.read_timeout).\n"+
		"Precedence: defaults < config file < environment < flags.\n\n%s",
		o.name, fs.FlagUsages())
}

// rawValue is a flag that keeps its argument as given. A list flag given
// twice keeps both, comma-separated.
type rawValue struct {
	s    string
	typ  string
	list bool
	set  bool
}

func (r *rawValue) String() string { return r.s }
func (r *rawValue) Type() string   { return r.typ }

func (r *rawValue) Set(s string) error {
	if r.list && r.set {
		s = r.s + "," + s
	}
	r.s, r.set = s, true
	return nil
}
