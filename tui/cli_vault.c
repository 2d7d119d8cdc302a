/* cli_vault.c: placeholder until the vault front end lands. */
