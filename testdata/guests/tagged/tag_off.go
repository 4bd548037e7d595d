//go:build !testguest_tag

package main

const tagValue = 0
