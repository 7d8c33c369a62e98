// The Engine module. See Package.swift for what it holds.
