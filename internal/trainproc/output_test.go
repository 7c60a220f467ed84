package trainproc

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestOutputSummary(t *testing.T) {
	tests := []struct {
		name, output, want string
	}{
		{"plain output quotes its last five lines", "1\n2\n\n3\n4\n5\n6\n", "2 | 3 | 4 | 5 | 6"},
		{"a Go panic quotes its reason, not its stack",
			"iter 1\npanic: boom [recovered]\n\tpanic: again\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\nexit status 2\n",
			"panic: boom [recovered] | panic: again"},
		{"a runtime fatal error quotes its reason",
			"fatal error: runtime: out of memory\n\nruntime stack:\nruntime.throw()\n", "fatal error: runtime: out of memory"},
		{"a signal in C code quotes the signal",
			"SIGSEGV: segmentation violation\nPC=0x0 m=0 sigcode=1\n\ngoroutine 0 [idle]:\nrax 0x0\nrbx 0x1\n",
			"SIGSEGV: segmentation violation | PC=0x0 m=0 sigcode=1"},
		{"a long line is cut", strings.Repeat("x", 2000), strings.Repeat("x", summaryBytes) + "…"},
		{"no output quotes nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutputLog(context.Background(), slog.New(slog.DiscardHandler))
			o.Write([]byte(tt.output))
			if got := o.summary(); got != tt.want {
				t.Errorf("summary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutputKeepsOnlyItsTail(t *testing.T) {
	o := newOutputLog(context.Background(), slog.New(slog.DiscardHandler))
	for i := range 3 * tailBytes / 10 {
		o.Write([]byte{'0' + byte(i%10), '0', '0', '0', '0', '0', '0', '0', '0', '\n'})
	}
	o.Write([]byte("the end\n"))
	got := o.String()
	if len(got) != tailBytes || !strings.HasSuffix(got, "00000000\nthe end\n") {
		t.Errorf("kept %d bytes ending %q, want the last %d", len(got), got[max(len(got)-20, 0):], tailBytes)
	}
}
