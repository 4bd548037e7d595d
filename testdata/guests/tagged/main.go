// Command tagged is a reactor whose export tag tells whether it was built
// with -tags testguest_tag: the internal/testguest test of build tags.
package main

//go:wasmexport tag
func tag() int32 { return tagValue }

func main() {}
