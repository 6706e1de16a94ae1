//! End-to-end tests: the real server on port 0 with a fresh database and several tablets. Filled in with the server.
