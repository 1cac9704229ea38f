from xuala.cli import main

main()
