from autograder.cli import main

if __name__ == "__main__":  # not when multiprocessing's spawn imports it again in a worker process
    raise SystemExit(main())
