#!/usr/bin/env node
// Entry point of the bmpd agent; the NETCONF server and engine are wired in by later work.
console.error('bmpd: agent entry point not wired yet');
process.exitCode = 1;
