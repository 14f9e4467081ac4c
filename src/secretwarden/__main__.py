from secretwarden.entry import main

main()
