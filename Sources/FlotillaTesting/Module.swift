// The FlotillaTesting module. See Package.swift for what it holds.
