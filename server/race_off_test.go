//go:build !race

package server_test

// raceBuild tells tests that build the binary to build it with -race too, like themselves.
const raceBuild = false
