//go:build !linux

package natstest

import (
	"os/exec"
	"time"
)

func setParentDeath(*exec.Cmd) {}

func waitStopped(int) { time.Sleep(100 * time.Millisecond) }
