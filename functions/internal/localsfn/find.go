package localsfn

import (
	"errors"
	"os"
	"path/filepath"
)

// FindStateMachine returns the path of statemachines/<name>.asl.json: under
// $SSOFLOW_STATEMACHINES when set, else in the nearest statemachines folder at or above the
// working directory (the repository root, from anywhere inside the checkout).
func FindStateMachine(name string) (string, error) {
	file := name + ".asl.json"
	if d := os.Getenv("SSOFLOW_STATEMACHINES"); d != "" {
		return filepath.Join(d, file), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "statemachines", file)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("statemachines/" + file + " not found above the working directory: run from the ssoflow checkout, or set SSOFLOW_STATEMACHINES")
		}
		dir = parent
	}
}

// LoadNamed is Load(FindStateMachine(name), subs).
func LoadNamed(name string, subs map[string]string) (*Machine, error) {
	p, err := FindStateMachine(name)
	if err != nil {
		return nil, err
	}
	return Load(p, subs)
}
