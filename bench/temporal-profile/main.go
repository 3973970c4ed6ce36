// Command symbolize reads `perf script` output of a Temporal server (a stripped Go binary, which
// perf cannot name frames in) from stdin, names each frame from the binary's own pclntab, and
// prints where the server's CPU went: named parts of its work (each the share of samples with that
// frame on the stack), then the hottest functions by self time.
//
//	perf script -i perf.data | go run . /path/to/temporal
package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Parts of the server's work, each matched by a frame name's suffix (or, ending in "*", prefix).
var parts = []struct{ label, frame string }{
	{"visibility writes (all)", "(*visibilityQueueTaskExecutor).Execute"},
	{"  of a workflow's start", "(*visibilityQueueTaskExecutor).processStartExecution"},
	{"  of search attribute upserts", "(*visibilityQueueTaskExecutor).processUpsertExecution"},
	{"  of a workflow's close", "(*visibilityQueueTaskExecutor).processCloseExecution"},
	{"workflow task completed (history)", "_HistoryService_RespondWorkflowTaskCompleted_Handler"},
	{"workflow task started (history)", "_HistoryService_RecordWorkflowTaskStarted_Handler"},
	{"Update (history)", "_HistoryService_UpdateWorkflowExecution_Handler"},
	{"Update-with-Start (history)", "_HistoryService_ExecuteMultiOperation_Handler"},
	{"start (history)", "_HistoryService_StartWorkflowExecution_Handler"},
	{"signal (history)", "_HistoryService_SignalWorkflowExecution_Handler"},
	{"task polls (matching)", "_MatchingService_PollWorkflowTaskQueue_Handler"},
	{"task dispatch (matching)", "_MatchingService_AddWorkflowTask_Handler"},
	{"timer queue", "(*timerQueueActiveTaskExecutor).Execute"},
	{"transfer queue", "(*transferQueueActiveTaskExecutor).Execute"},
	{"SQLite, all", "modernc.org/sqlite*"},
	{"  of it parsing SQL (no statement cache)", "modernc.org/sqlite/lib._sqlite3Prepare"},
	{"Go garbage collector", "runtime.gcBgMarkWorker"},
	{"kernel, system calls", "[k] do_syscall_64"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: perf script -i perf.data | go run . /path/to/temporal")
		os.Exit(2)
	}
	binary := os.Args[1]
	table, base, err := symbols(binary)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", binary, err)
		os.Exit(1)
	}
	name := func(offset uint64) string {
		if fn := table.PCToFunc(base + offset); fn != nil {
			return fn.Name
		}
		return fmt.Sprintf("0x%x", base+offset)
	}

	self := map[string]int{}
	var stacks [][]string
	var stack []string
	endSample := func() {
		if len(stack) > 0 {
			self[stack[0]]++
			stacks = append(stacks, stack)
		}
		stack = nil
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		fields := strings.Fields(line)
		// A frame line: "<hex address> <symbol> (<dso>)"; anything else starts or ends a sample.
		if len(fields) < 2 || !strings.HasSuffix(line, ")") {
			endSample()
			continue
		}
		address, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil {
			endSample()
			continue
		}
		switch {
		case strings.HasSuffix(line, "/"+filepath.Base(binary)+")"):
			// perf gives addresses in the binary as offsets from its first loaded segment.
			stack = append(stack, name(address))
		case strings.Contains(line, "[kernel"):
			stack = append(stack, "[k] "+strings.SplitN(fields[1], "+", 2)[0])
		default:
			stack = append(stack, fields[1])
		}
	}
	endSample()
	if len(stacks) == 0 {
		fmt.Fprintln(os.Stderr, "no samples read")
		os.Exit(1)
	}

	share := func(n int) string { return fmt.Sprintf("%5.1f%%", 100*float64(n)/float64(len(stacks))) }
	fmt.Printf("%d samples\n\nwhere the time went (share of samples with this on the stack):\n", len(stacks))
	for _, part := range parts {
		n := 0
		for _, frames := range stacks {
			for _, frame := range frames {
				if matches(frame, part.frame) {
					n++
					break
				}
			}
		}
		fmt.Printf("  %s  %s\n", share(n), part.label)
	}
	fmt.Println("\nhottest functions (self time):")
	type entry struct {
		frame string
		n     int
	}
	var hottest []entry
	for frame, n := range self {
		hottest = append(hottest, entry{frame, n})
	}
	sort.Slice(hottest, func(i, j int) bool { return hottest[i].n > hottest[j].n })
	for i := 0; i < 25 && i < len(hottest); i++ {
		fmt.Printf("  %s  %s\n", share(hottest[i].n), hottest[i].frame)
	}
}

func matches(frame, pattern string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(frame, prefix)
	}
	return strings.HasSuffix(frame, pattern)
}

// symbols reads the function table Go keeps in every binary, stripped or not, and the address
// of the first loaded segment, which perf's offsets count from.
func symbols(binary string) (*gosym.Table, uint64, error) {
	file, err := elf.Open(binary)
	if err != nil {
		return nil, 0, err
	}
	defer file.Close()
	pclntab, text := file.Section(".gopclntab"), file.Section(".text")
	if pclntab == nil || text == nil {
		return nil, 0, fmt.Errorf("not a Go binary (no .gopclntab)")
	}
	data, err := pclntab.Data()
	if err != nil {
		return nil, 0, err
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, 0, err
	}
	for _, program := range file.Progs {
		if program.Type == elf.PT_LOAD {
			return table, program.Vaddr - program.Off, nil
		}
	}
	return nil, 0, fmt.Errorf("no loadable segment")
}
