def main(n):
    out = ""
    count = 0
    for i in range(1, n + 1):
        line = f"item {i}: {i * 2}"
        if len(line) > 12:
            count = count + 1
        out = "x" + str(i) + ";"
    return count + len(out)
