// The Facts module. See Package.swift for what it holds.
