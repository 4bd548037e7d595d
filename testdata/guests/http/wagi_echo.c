// wagi_echo.c: a WAGI (CGI) command that echoes what it was given: a few
// CGI variables, every HTTP_* variable, then the request body. With the
// query "status" it answers 201 with a custom header; with "redirect" it
// sends a Location header.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *env(const char *name) {
	const char *v = getenv(name);
	return v ? v : "";
}

int main(void) {
	const char *q = env("QUERY_STRING");
	if (strcmp(q, "redirect") == 0) {
		fputs("Location: /elsewhere\n\n", stdout);
		return 0;
	}
	if (strcmp(q, "status") == 0) {
		fputs("Status: 201 Created\r\nX-Guest: yes\r\nContent-Type: text/plain\r\n\r\n", stdout);
	} else {
		fputs("Content-Type: text/plain\n\n", stdout);
	}
	const char *vars[] = {"GATEWAY_INTERFACE", "SERVER_PROTOCOL", "REQUEST_METHOD", "PATH_INFO",
		"QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "SERVER_NAME",
		"SERVER_PORT", "SCRIPT_NAME", "X_REQUEST_ID", 0};
	for (int i = 0; vars[i]; i++) printf("%s=%s\n", vars[i], env(vars[i]));
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "HTTP_", 5) == 0) printf("%s\n", *e);
	fputs("body=", stdout);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
	return 0;
}
