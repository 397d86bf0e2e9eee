package hostres

import (
	"cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
)

// LoadKind is the load probe kind.
func LoadKind() probe.Kind {
	return probe.Kind{
		Name:   "load",
		Block:  func() config.Block { return new(Load) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(NewLoad(blockOf[Load](m))) },
		Host:   func(*config.Monitor) string { return command.LocalHost },
		Target: func(m *config.Monitor) string { return "load average " + cmp.Or(blockOf[Load](m).Average, Average5m) },
	}
}

// MemoryKind is the memory probe kind.
func MemoryKind() probe.Kind {
	return probe.Kind{
		Name:   "memory",
		Block:  func() config.Block { return new(Memory) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(NewMemory(blockOf[Memory](m))) },
		Host:   func(*config.Monitor) string { return command.LocalHost },
		Target: func(*config.Monitor) string { return "memory in use" },
	}
}

// SwapKind is the swap probe kind.
func SwapKind() probe.Kind {
	return probe.Kind{
		Name:   "swap",
		Block:  func() config.Block { return new(Swap) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(NewSwap(blockOf[Swap](m))) },
		Host:   func(*config.Monitor) string { return command.LocalHost },
		Target: func(*config.Monitor) string { return "swap in use" },
	}
}

// blockOf is the block of m, a monitor of the kind whose block is B.
func blockOf[B any](m *config.Monitor) *B {
	c, _ := any(m.Block).(*B)
	return c
}
