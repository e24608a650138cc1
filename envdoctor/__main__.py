from envdoctor.entry import main

main()
