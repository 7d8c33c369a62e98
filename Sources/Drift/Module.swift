// The Drift module. See Package.swift for what it holds.
