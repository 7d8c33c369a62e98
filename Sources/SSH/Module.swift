// The SSH module. See Package.swift for what it holds.
