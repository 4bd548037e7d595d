package keyvalue

import "context"

// HostCall runs the keyvalue function name with args as a guest's call
// would reach it (the handles already read), for tests and fuzzing. It
// reports false for an unknown name.
func HostCall(ctx context.Context, b *Binding, name string, args [][]byte) ([]byte, int, bool) {
	for _, fn := range functions {
		if fn.name == name {
			a := make([][]byte, fn.nargs)
			copy(a, args)
			return fn.f(ctx, b, a), fn.nargs, true
		}
	}
	return nil, 0, false
}

// FunctionNames lists the keyvalue functions.
func FunctionNames() []string {
	var names []string
	for _, fn := range functions {
		names = append(names, fn.name)
	}
	return names
}
