//go:build race

package server_test

// raceBuild tells tests that build the binary to build it with -race too, like themselves,
// so the build reuses the packages this test binary was compiled from.
const raceBuild = true
