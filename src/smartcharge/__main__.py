from smartcharge.entry import main

main()
