package engine

import (
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// PLACEHOLDER: wazero's own WASI preview1 until package wasip1 replaces it.

type wasiHostModule struct{}

func (wasiHostModule) ModuleName() string { return wasi_snapshot_preview1.ModuleName }

func (wasiHostModule) Define(_ *Runtime, b wazero.HostModuleBuilder) {
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
}

func wasiModuleConfig(mc wazero.ModuleConfig, cfg InstanceConfig) (wazero.ModuleConfig, func(), error) {
	mc = mc.WithArgs(cfg.Args...).WithSysWalltime().WithSysNanotime().WithSysNanosleep()
	for _, kv := range cfg.Env {
		k, v, _ := cutEnv(kv)
		mc = mc.WithEnv(k, v)
	}
	if cfg.Stdin != nil {
		mc = mc.WithStdin(cfg.Stdin)
	}
	if cfg.Stdout != nil {
		mc = mc.WithStdout(cfg.Stdout)
	}
	if cfg.Stderr != nil {
		mc = mc.WithStderr(cfg.Stderr)
	}
	fsc := wazero.NewFSConfig()
	for _, p := range cfg.Preopens {
		fs := sysfs.DirFS(p.HostPath)
		if p.ReadOnly {
			fs = &sysfs.ReadFS{FS: fs}
		}
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(fs, p.GuestPath)
	}
	return mc.WithFSConfig(fsc), func() {}, nil
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
